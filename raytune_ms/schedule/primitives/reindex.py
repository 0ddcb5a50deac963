"""reindex: access a buffer through a copy indexed by the block's own iterators (the reference's
Schedule.reindex). A block that accesses X[f(v)] accesses X_reindex[v'] instead, v' the
iterators f uses, in the block's order.

- A read buffer: the copy block X_reindex[v'] = X[f(v')] runs before the block's top-level
  statement. A strided conv's input window pad[n, h*s + rh, w*s + rw, c] becomes a plain
  [n, h, w, rh, rw, c] tensor (an im2col copy) that transform_layout can reorder into a GEMM
  operand; a transposed matmul operand B[j, k] becomes B_reindex[j, k] that transform_layout
  turns into [k, j].
- A write buffer: the block (its init included) writes X_reindex[v'], and the copy block
  X[f(v')] = X_reindex[v'] runs after the block's top-level statement. v' must be spatial
  iterators; the block must be the buffer's only writer, and it may read the buffer only as
  the accumulator its init starts (the copy carries no earlier contents in).
"""

from __future__ import annotations

from ... import tir
from ...tir import Block, BufferLoad, BufferRegion, BufferStore, IterVar, Range, Var
from ...tir.analysis import const_int
from ...tir.arith import simplify
from ...tir.functor import transform, used_vars
from ..error import ScheduleError
from ..tree import replace_path
from .block_common import (
    add_alloc,
    check_sole_writer,
    containing_child,
    fresh_name,
    insert_into_block,
    loops_around,
    reads_buffer,
    region_buffer,
    siblings,
    stmt_list,
    writes_buffer,
)

PRIM = "reindex"


def _accesses(block, buf, classes) -> list:
    """The nodes of `classes` (BufferLoad, BufferStore) that access `buf` in the block's body,
    then in its init; per part, class by class."""
    return [n for part in (block.body, block.init) if part is not None
            for cls in classes for n in tir.collect(part, cls) if n.buffer is buf]


def _iterators(block, buf, accesses, kind) -> tuple:
    """(the one index tuple of `buf`'s accesses, the iterators it uses in block order, their
    extents)."""
    if not accesses or any(const_int(simplify(tir.sub(x, y))) != 0
                           for a in accesses for x, y in zip(a.indices, accesses[0].indices)):
        verb = "load" if kind == "read" else "access"
        raise ScheduleError(f"{PRIM}: block {block.name!r} must {verb} {buf.name!r} at one index tuple")
    indices = accesses[0].indices
    used = frozenset().union(*[used_vars(e) for e in indices])
    ivs = [iv for iv in block.iter_vars if id(iv.var) in used]
    exts = [const_int(iv.dom.extent) for iv in ivs]
    if any(e is None for e in exts) or any(const_int(iv.dom.min) != 0 for iv in ivs):
        raise ScheduleError(f"{PRIM}: block {block.name!r}: the iterators indexing {buf.name!r} need constant "
                            "domains from 0")
    if kind == "write":
        reduce = [iv.var.name for iv in ivs if iv.kind != "spatial"]
        if reduce:
            raise ScheduleError(f"{PRIM}: block {block.name!r} writes {buf.name!r} at an index that uses the "
                                f"reduction iterator(s) {reduce}; only spatial iterators can index the copy")
    return indices, ivs, exts


def _copy_nest(name, exts, reads, writes, store) -> tir.Stmt:
    """Loops over `exts` around the copy block `name`; reads/writes/store are functions of the
    block's iterators."""
    vs = [Var(f"v{d}") for d in range(len(exts))]
    copy = Block(name, [IterVar(v, Range(0, e), "spatial") for v, e in zip(vs, exts)],
                 reads=[reads(vs)], writes=[writes(vs)], body=store(vs))
    return loops_around(copy, exts)


def _point(buf, indices) -> BufferRegion:
    return BufferRegion(buf, [Range(e, 1) for e in indices])


def reindex(func, block_name: str, buffer_index: int, buffer_index_type: str = "read") -> tuple:
    """(func, name of the copy block) with the `buffer_index`-th read ("read") or written
    ("write") buffer of `block_name` accessed through a copy indexed by the block's iterators;
    see the module docstring."""
    if buffer_index_type not in ("read", "write"):
        raise ScheduleError(f"{PRIM} (block {block_name!r}): the buffer must be ('read'|'write', index), got "
                            f"{buffer_index_type!r}")
    path, scope, blocks = siblings(func, block_name)
    me = path[-1]
    b = me.block
    write = buffer_index_type == "write"
    buf = region_buffer(PRIM, b, b.writes if write else b.reads, buffer_index, buffer_index_type)
    kids = stmt_list(scope.block.body)
    at = containing_child(kids, me)
    if write:
        check_sole_writer(func, scope, me, buf)
        if b.init is None and reads_buffer(me, buf):
            raise ScheduleError(f"{PRIM}: block {block_name!r} reads {buf.name!r} with no init (it accumulates onto "
                                "earlier contents, which the copy would not carry)")
        late = [x.block.name for x in blocks if x is not me and containing_child(kids, x) == at
                and reads_buffer(x, buf)]
        if late:
            raise ScheduleError(f"{PRIM}: {late} read {buf.name!r} in the statement of block {block_name!r}, "
                                "before the copy back")
        accesses = _accesses(b, buf, (BufferLoad, BufferStore))
    else:
        if writes_buffer(me, buf):
            raise ScheduleError(f"{PRIM}: block {block_name!r} both reads and writes {buf.name!r}")
        if any(containing_child(kids, x) >= at and writes_buffer(x, buf) for x in blocks):
            raise ScheduleError(f"{PRIM}: {buf.name!r} is written in or after the statement of block "
                                f"{block_name!r}")
        accesses = _accesses(b, buf, (BufferLoad,))
    indices, ivs, exts = _iterators(b, buf, accesses, buffer_index_type)
    name = fresh_name(func, f"{buf.name}_reindex")
    new_buf = tir.Buffer(name, exts, buf.dtype, "global")

    def src(vs):  # the original index f at the copy's iterators
        return [tir.substitute(e, {iv.var: v for iv, v in zip(ivs, vs)}) for e in indices]

    if write:  # X[f(v')] = X_reindex[v']
        nest = _copy_nest(name, exts, lambda vs: _point(new_buf, vs), lambda vs: _point(buf, src(vs)),
                          lambda vs: BufferStore(buf, BufferLoad(new_buf, vs), src(vs)))
    else:  # X_reindex[v'] = X[f(v')]
        nest = _copy_nest(name, exts, lambda vs: _point(buf, src(vs)), lambda vs: _point(new_buf, vs),
                          lambda vs: BufferStore(new_buf, BufferLoad(buf, src(vs)), vs))
    point = [iv.var for iv in ivs]

    def post(n):
        if isinstance(n, BufferLoad) and n.buffer is buf:
            return BufferLoad(new_buf, point)
        if isinstance(n, BufferStore) and n.buffer is buf:
            return BufferStore(new_buf, n.value, point)
        return None

    def moved(regions):
        return [_point(new_buf, point) if r.buffer is buf else r for r in regions]

    new_block = transform(b, post=post).replace(reads=moved(b.reads), writes=moved(b.writes))
    body = replace_path(path, me.replace(block=new_block))
    body = insert_into_block(body, scope.block.name, nest, at + 1 if write else at)
    body = add_alloc(body, scope.block.name, new_buf)
    return func.with_body(body), name
