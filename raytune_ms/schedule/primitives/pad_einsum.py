"""pad_einsum: grow an einsum block's iteration space to multiples of `padding`, so that a tensor
intrinsic's fixed tile (wmma's 16x16x16) covers extents that are not multiples of it (the
reference's Schedule.pad_einsum).

The block's loops and iterators take the padded extents. Each buffer whose accessed region
outgrows it gets a padded copy `<buffer>_pad` (global scope): an input is copied in by a block
right before the einsum (the input where in bounds, else zero: the padded iterations add zeros
to the sum), and the output is written padded and copied back, original extent only, by a block
right after. The einsum must sit alone in its loop nest, its loops bound one to one to its
iterators (as te writes it, before any tiling).
"""

from __future__ import annotations

from ... import tir
from ...tir import BufferLoad, BufferStore, For, Range
from ...tir.analysis import const_int
from ...tir.arith import bound
from ..error import ScheduleError
from ..tree import replace_path
from .block_common import (
    add_alloc,
    check_sole_writer,
    containing_child,
    copy_nest,
    fresh_name,
    insert_into_block,
    siblings,
    stmt_list,
    writes_buffer,
)

PRIM = "pad_einsum"


def _loop_chain(path, scope, block_name) -> list:
    """The For loops right under the scope block (or its statement list) down to the block,
    each holding only the next."""
    n = len(path) - 1
    while n > 0 and isinstance(path[n - 1], For):
        n -= 1
    chain = path[n:-1]
    parent = path[n - 1] if n > 0 else None
    if not chain or not (parent is scope.block or parent is scope.block.body):
        raise ScheduleError(f"{PRIM}: block {block_name!r} must sit alone in a nest of loops right under "
                            f"its scope block {scope.block.name!r}")
    return chain


def _accesses(block, buf) -> list:
    """The index tuples of every load and store of `buf` in the block (init included)."""
    out = []
    for s in (block.body, block.init):
        if s is None:
            continue
        out += [n.indices for n in tir.collect(s, BufferLoad) if n.buffer is buf]
        out += [n.indices for n in tir.collect(s, BufferStore) if n.buffer is buf]
    return out


def _padded_shape(block, buf, ranges) -> tuple:
    """The shape `buf` needs for the block's accesses over `ranges`, at least its own."""
    shape = [int(s) for s in buf.shape]
    for indices in _accesses(block, buf):
        for d, e in enumerate(indices):
            lo, hi = bound(e, ranges)
            if lo is None or hi is None or lo < 0:
                raise ScheduleError(f"{PRIM}: block {block.name!r}: index {d} of buffer {buf.name!r} is not "
                                    "bounded within [0, ...) over the padded iterators")
            shape[d] = max(shape[d], hi + 1)
    return tuple(shape)


def pad_einsum(func, block_name: str, padding) -> tir.PrimFunc:
    """`func` with block `block_name`'s iterators padded up to multiples of `padding` (one
    positive int per iterator); see the module docstring."""
    path, scope, blocks = siblings(func, block_name)
    me = path[-1]
    b = me.block
    padding = [int(p) for p in padding]
    if len(padding) != len(b.iter_vars) or any(p < 1 for p in padding):
        raise ScheduleError(f"{PRIM}: block {block_name!r} has {len(b.iter_vars)} iterators; padding must give a "
                            f"positive int for each, got {padding}")
    if not isinstance(b.body, BufferStore) or len(b.writes) != 1:
        raise ScheduleError(f"{PRIM}: block {block_name!r} must be one store to one buffer (an einsum)")
    chain = _loop_chain(path, scope, block_name)
    by_var = {id(f.loop_var): f for f in chain}
    extents = []
    for iv, value in zip(b.iter_vars, me.iter_values):
        loop = by_var.get(id(value))
        ext = const_int(iv.dom.extent)
        if loop is None or ext is None or const_int(loop.extent) != ext or const_int(iv.dom.min) != 0 \
                or const_int(loop.min) != 0:
            raise ScheduleError(f"{PRIM}: block {block_name!r}: iterator {iv.var.name!r} must be bound to a loop of "
                                "its own constant extent, from 0")
        extents.append(ext)
    new_ext = [-(-e // p) * p for e, p in zip(extents, padding)]
    if new_ext == extents:
        return func
    out = b.writes[0].buffer
    check_sole_writer(func, scope, me, out)
    ranges = {iv.var: Range(0, n) for iv, n in zip(b.iter_vars, new_ext)}
    kids = stmt_list(scope.block.body)
    at = containing_child(kids, me)
    later = [x.block.name for x in blocks if containing_child(kids, x) > at
             and any(writes_buffer(x, r.buffer) for r in b.reads if r.buffer is not out)]
    if later:
        raise ScheduleError(f"{PRIM}: {later} write inputs of block {block_name!r} after it")
    mapping, before, after, allocs, taken = {}, [], [], [], []
    for buf in dict.fromkeys([out] + [r.buffer for r in b.reads]):
        shape = _padded_shape(b, buf, ranges)
        if shape == tuple(int(s) for s in buf.shape):
            continue
        if buf is out and b.init is None:
            raise ScheduleError(f"{PRIM}: block {block_name!r} has no init: its padded output {out.name!r} "
                                "would start undefined")
        name = fresh_name(func, f"{buf.name}_pad", taken)
        taken.append(name)
        padded = tir.Buffer(name, shape, buf.dtype, "global")
        mapping[buf] = padded
        allocs.append(padded)
        if buf is out:
            after.append(copy_nest(f"{name}_unpad", padded, out, shape=buf.shape))
        else:
            orig = [int(s) for s in buf.shape]

            def value_of(vs, buf=buf, orig=orig, shape=shape):
                inside = tir.all_of(*[v < n for v, n, p in zip(vs, orig, shape) if p > n])
                return tir.select(inside, BufferLoad(buf, vs), tir.const(0, buf.dtype))

            before.append(copy_nest(name, buf, padded, shape=shape, value_of=value_of))
    new_block = tir.substitute(b, mapping).replace(
        iter_vars=[iv.replace(dom=Range(0, n)) for iv, n in zip(b.iter_vars, new_ext)])
    nest = me.replace(block=new_block)
    ext_of = {id(v): n for v, n in zip(me.iter_values, new_ext)}
    for loop in reversed(chain):
        nest = loop.replace(body=nest, extent=ext_of.get(id(loop.loop_var), const_int(loop.extent)))
    body = replace_path(path[: path.index(chain[0]) + 1], nest)
    for stmt in after[::-1]:
        body = insert_into_block(body, scope.block.name, stmt, at + 1)
    for stmt in before[::-1]:
        body = insert_into_block(body, scope.block.name, stmt, at)
    for buf in allocs:
        body = add_alloc(body, scope.block.name, buf)
    return func.with_body(body)
