"""compute_inline and reverse_compute_inline: fuse an injective block into its consumers
(producer), removing the block, its loops and the buffer between them.

compute_inline substitutes the producer's value expression for every load of its buffer;
reverse_compute_inline rewrites the producer's store into the consumer's store, mapping the
consumer's iterators onto the producer's store indices. A consumer that reads only a leading part
of the buffer (pad_einsum's cut-back of a padded output) keeps the producer's iterations inside it:
the producer's realize gets a predicate (the reference's behaviour).
"""

from __future__ import annotations

from ... import tir
from ...tir import BufferLoad, BufferRegion, BufferStore, Range, Var
from ...tir.analysis import const_int, is_spatial_block, is_true, same_expr
from ...tir.arith import simplify
from ...tir.functor import used_vars
from ..error import ScheduleError
from ..tree import block_path, leaf_blocks, replace_path
from .block_common import (
    find_block,
    is_param,
    read_buffers,
    reads_buffer,
    remove_alloc,
    remove_block,
    scope_realize,
    writes_buffer,
)


def _inlined(prim, func, block_name):
    """(path, realize, block, its store) of the block to inline."""
    path = block_path(func, block_name)
    me = path[-1]
    return path, me, me.block, _single_store(prim, me.block)


def _single_store(prim, block, role="block") -> BufferStore:
    if not is_spatial_block(block) or block.init is not None:
        raise ScheduleError(f"{prim}: {role} {block.name!r} is a reduction; only injective "
                            "(all-spatial, no init) blocks can be inlined")
    if not isinstance(block.body, BufferStore):
        raise ScheduleError(f"{prim}: the body of {role} {block.name!r} is not a single buffer store")
    return block.body


def _merge_region(a: BufferRegion, b: BufferRegion) -> BufferRegion:
    """Hull of two regions of one buffer: exact when starts differ by a constant, else the
    whole dimension."""
    out = []
    for d, (x, y) in enumerate(zip(a.region, b.region)):
        dmin = simplify(tir.sub(y.min, x.min))
        ex, ey = x.extent, y.extent
        if isinstance(dmin, tir.IntImm) and isinstance(ex, tir.IntImm) and isinstance(ey, tir.IntImm):
            k = dmin.value
            lo, hi = min(0, k), max(ex.value, k + ey.value)
            out.append(Range(x.min if k >= 0 else y.min, hi - lo))
        else:
            out.append(Range(0, a.buffer.shape[d]))
    return BufferRegion(a.buffer, out)


def add_regions(regions, extra) -> tuple:
    """`regions` with each of `extra` merged into the region of the same buffer (or appended)."""
    out = list(regions)
    for r in extra:
        for i, q in enumerate(out):
            if q.buffer is r.buffer:
                out[i] = _merge_region(q, r)
                break
        else:
            out.append(r)
    return tuple(out)


def compute_inline(func, block_name):
    """Inline block `block_name` into every block that reads its buffer."""
    prim = "compute_inline"
    path, me, block, store = _inlined(prim, func, block_name)
    buf = store.buffer
    if is_param(func, buf):
        raise ScheduleError(f"{prim}: block {block_name!r} writes {buf.name!r}, an output of the "
                            "function; it cannot be inlined")
    ivs = {id(iv.var) for iv in block.iter_vars}
    idx_ids = [id(i) for i in store.indices]
    if not all(isinstance(i, Var) and id(i) in ivs for i in store.indices) or \
            len(set(idx_ids)) != len(idx_ids):
        raise ScheduleError(
            f"{prim}: block {block_name!r} stores to {buf.name!r} at "
            f"[{', '.join(tir.script(i) for i in store.indices)}]; the indices must be distinct "
            "block iterators")
    value_vars = used_vars(store.value)
    missing = [iv.var.name for iv in block.iter_vars
               if id(iv.var) not in idx_ids and id(iv.var) in value_vars]
    if missing:
        raise ScheduleError(f"{prim}: block {block_name!r}: iterator(s) {missing} are used in the "
                            f"value but not in the store indices of {buf.name!r}")
    if any(ld.buffer is buf for ld in tir.collect(store.value, BufferLoad)):
        raise ScheduleError(f"{prim}: block {block_name!r} reads the buffer {buf.name!r} it writes")
    scope = scope_realize(path)
    leaves = leaf_blocks(func)
    others = [b.block.name for b in leaves
              if b is not me and b.block.name != scope.block.name and writes_buffer(b, buf)]
    if others:
        raise ScheduleError(f"{prim}: buffer {buf.name!r} of block {block_name!r} is also written "
                            f"by {others}")
    readers = [b for b in leaves if b is not me and reads_buffer(b, buf)]
    if not readers:
        raise ScheduleError(f"{prim}: block {block_name!r} has no consumer to inline into")

    def inline_value(indices):
        mapping = {v: i for v, i in zip(store.indices, indices)}
        return tir.substitute(store.value, mapping)

    def rewrite_loads(node):
        return tir.transform(
            node, post=lambda n: inline_value(n.indices)
            if isinstance(n, BufferLoad) and n.buffer is buf else None)

    body = func.body
    for r in readers:
        rb = r.block
        loads = [ld for ld in tir.collect(rb, BufferLoad) if ld.buffer is buf]
        extra = []
        for ld in loads:
            mapping = {v: i for v, i in zip(store.indices, ld.indices)}
            extra.extend(BufferRegion(q.buffer, [Range(tir.substitute(x.min, mapping),
                                                       tir.substitute(x.extent, mapping))
                                                 for x in q.region])
                         for q in block.reads)
        new_block = rb.replace(
            body=rewrite_loads(rb.body),
            init=None if rb.init is None else rewrite_loads(rb.init),
            reads=add_regions([q for q in rb.reads if q.buffer is not buf], extra),
        )
        rpath = find_block(body, r.block.name)
        body = replace_path(rpath, rpath[-1].replace(block=new_block))
    body = remove_block(body, find_block(body, block_name))
    body = remove_alloc(body, scope.block.name, buf)
    return func.with_body(body)


def reverse_compute_inline(func, block_name):
    """Inline consumer `block_name` into the single producer of the buffer it reads."""
    prim = "reverse_compute_inline"
    path, me, block, cstore = _inlined(prim, func, block_name)
    if not is_true(me.predicate):
        raise ScheduleError(f"{prim}: block {block_name!r} has a predicate; it cannot be inlined")
    scope = scope_realize(path)
    leaves = leaf_blocks(func)
    candidates = []
    for buf in read_buffers(block):
        writers = [b for b in leaves if b is not me and writes_buffer(b, buf)]
        if writers:
            candidates.append((buf, writers))
    if len(candidates) != 1:
        what = "no producer" if not candidates else \
            f"several producers ({', '.join(w[0].block.name for _, w in candidates)})"
        raise ScheduleError(f"{prim}: block {block_name!r} has {what}; it needs exactly one")
    buf, writers = candidates[0]
    if len(writers) != 1:
        raise ScheduleError(f"{prim}: buffer {buf.name!r} read by block {block_name!r} has "
                            f"several writers ({', '.join(w.block.name for w in writers)})")
    prod = writers[0]
    pstore = _single_store(prim, prod.block, f"producer of {block_name!r},")
    if pstore.buffer is not buf:
        raise ScheduleError(f"{prim}: producer {prod.block.name!r} does not store to {buf.name!r}")
    if is_param(func, buf):
        raise ScheduleError(f"{prim}: buffer {buf.name!r} is a parameter of the function; the "
                            "producer's result must stay")
    other_readers = [b.block.name for b in leaves if b is not me and b is not prod
                     and reads_buffer(b, buf)]
    if other_readers:
        raise ScheduleError(f"{prim}: buffer {buf.name!r} is also read by {other_readers}; "
                            f"block {block_name!r} is not its only consumer")
    loads = [ld for ld in tir.collect(cstore.value, BufferLoad) if ld.buffer is buf]
    if any(ld.buffer is buf for i in cstore.indices for ld in tir.collect(i, BufferLoad)):
        raise ScheduleError(f"{prim}: block {block_name!r} indexes its output with {buf.name!r}")
    first = loads[0]
    if not all(same_expr(ld.indices, first.indices) for ld in loads[1:]):
        raise ScheduleError(f"{prim}: block {block_name!r} reads {buf.name!r} at several "
                            "different indices")
    ivs = {id(iv.var): iv for iv in block.iter_vars}
    if not all(isinstance(i, Var) and id(i) in ivs for i in first.indices) or \
            len({id(i) for i in first.indices}) != len(first.indices) or \
            len(first.indices) != len(block.iter_vars):
        raise ScheduleError(
            f"{prim}: block {block_name!r} reads {buf.name!r} at "
            f"[{', '.join(tir.script(i) for i in first.indices)}]; the indices must be all of its "
            "iterators, each once")
    short = []  # (dimension, the consumer's extent) where it reads a leading part only
    for d, v in enumerate(first.indices):
        dom = ivs[id(v)].dom
        ext = const_int(dom.extent)
        if const_int(dom.min) != 0 or ext is None or ext > int(buf.shape[d]):
            raise ScheduleError(f"{prim}: block {block_name!r} iterator {v.name!r} does not lie within "
                                f"dimension {d} of {buf.name!r} from 0")
        if ext < int(buf.shape[d]):
            short.append((d, ext))
    mapping = {v: i for v, i in zip(first.indices, pstore.indices)}
    binding = {iv.var: x for iv, x in zip(prod.block.iter_vars, prod.iter_values)}
    guard = tir.all_of(*[tir.substitute(pstore.indices[d], binding) < ext for d, ext in short])
    value = tir.transform(cstore.value, post=lambda n: pstore.value
                          if isinstance(n, BufferLoad) and n.buffer is buf else None)
    value = tir.substitute(value, mapping)
    new_store = BufferStore(cstore.buffer, value, [tir.substitute(i, mapping) for i in cstore.indices])

    def moved(regions):
        return [BufferRegion(q.buffer, [Range(tir.substitute(x.min, mapping),
                                              tir.substitute(x.extent, mapping)) for x in q.region])
                for q in regions if q.buffer is not buf]

    pblock = prod.block
    new_pblock = pblock.replace(
        body=new_store,
        reads=add_regions(pblock.reads, moved(block.reads)),
        writes=moved(block.writes),
    )
    ppath = block_path(func, pblock.name)  # (from the cached index: the leaves' walk filled it)
    predicate = simplify(tir.logical_and(ppath[-1].predicate, guard)) if short else ppath[-1].predicate
    body = replace_path(ppath, ppath[-1].replace(block=new_pblock, predicate=predicate))
    body = remove_block(body, find_block(body, block_name))
    body = remove_alloc(body, scope.block.name, buf)
    return func.with_body(body)
