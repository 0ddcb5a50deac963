"""reindex: read a buffer through a copy indexed by the block's own iterators (the reference's
Schedule.reindex, for a read buffer). A block that reads X[f(v)] reads X_reindex[v'] instead,
v' the iterators f uses, in the block's order; the copy block X_reindex[v'] = X[f(v')] runs
before the block's top-level statement. A strided conv's input window pad[n, h*s + rh,
w*s + rw, c] becomes a plain [n, h, w, rh, rw, c] tensor (an im2col copy) that transform_layout
can reorder into a GEMM operand.
"""

from __future__ import annotations

from ... import tir
from ...tir import Block, BlockRealize, BufferLoad, BufferRegion, BufferStore, For, IterVar, Range, Var
from ...tir.analysis import const_int
from ...tir.arith import simplify
from ...tir.functor import transform, used_vars
from ..error import ScheduleError
from ..tree import replace_path
from .block_common import (
    add_alloc,
    containing_child,
    fresh_name,
    insert_into_block,
    region_buffer,
    siblings,
    stmt_list,
    writes_buffer,
)

PRIM = "reindex"


def _loads(stmt, buf) -> list:
    return [] if stmt is None else [n for n in tir.collect(stmt, BufferLoad) if n.buffer is buf]


def reindex(func, block_name: str, read_index: int) -> tuple:
    """(func, name of the copy block) with the `read_index`-th read buffer of `block_name` read
    through a copy indexed by the block's iterators; see the module docstring."""
    path, scope, blocks = siblings(func, block_name)
    me = path[-1]
    b = me.block
    buf = region_buffer(PRIM, b, b.reads, read_index, "read")
    if writes_buffer(me, buf):
        raise ScheduleError(f"{PRIM}: block {block_name!r} both reads and writes {buf.name!r}")
    loads = _loads(b.body, buf) + _loads(b.init, buf)
    if not loads or any(const_int(simplify(tir.sub(x, y))) != 0
                        for ld in loads for x, y in zip(ld.indices, loads[0].indices)):
        raise ScheduleError(f"{PRIM}: block {block_name!r} must load {buf.name!r} at one index tuple")
    indices = loads[0].indices
    used = frozenset().union(*[used_vars(e) for e in indices])
    ivs = [iv for iv in b.iter_vars if id(iv.var) in used]
    exts = [const_int(iv.dom.extent) for iv in ivs]
    if any(e is None for e in exts) or any(const_int(iv.dom.min) != 0 for iv in ivs):
        raise ScheduleError(f"{PRIM}: block {block_name!r}: the iterators indexing {buf.name!r} need constant "
                            "domains from 0")
    kids = stmt_list(scope.block.body)
    at = containing_child(kids, me)
    if any(containing_child(kids, x) >= at and writes_buffer(x, buf) for x in blocks):
        raise ScheduleError(f"{PRIM}: {buf.name!r} is written in or after the statement of block {block_name!r}")
    name = fresh_name(func, f"{buf.name}_reindex")
    new_buf = tir.Buffer(name, exts, buf.dtype, "global")
    # the copy: X_reindex[v'] = X[f(v')]
    vs = [Var(f"v{d}") for d in range(len(ivs))]
    to_copy = {iv.var: v for iv, v in zip(ivs, vs)}
    src = [tir.substitute(e, to_copy) for e in indices]
    copy = Block(name, [IterVar(v, Range(0, e), "spatial") for v, e in zip(vs, exts)],
                 reads=[BufferRegion(buf, [Range(e, 1) for e in src])],
                 writes=[BufferRegion(new_buf, [Range(v, 1) for v in vs])],
                 body=BufferStore(new_buf, BufferLoad(buf, src), vs))
    loops = [Var(f"ax{d}") for d in range(len(ivs))]
    nest = BlockRealize(loops, True, copy)
    for v, e in reversed(list(zip(loops, exts))):
        nest = For(v, 0, e, "serial", nest)
    point = [iv.var for iv in ivs]

    def post(n):
        if isinstance(n, BufferLoad) and n.buffer is buf:
            return BufferLoad(new_buf, point)
        return None

    reads = [BufferRegion(new_buf, [Range(v, 1) for v in point]) if r.buffer is buf else r for r in b.reads]
    new_block = transform(b, post=post).replace(reads=reads)
    body = replace_path(path, me.replace(block=new_block))
    body = insert_into_block(body, scope.block.name, nest, at)
    body = add_alloc(body, scope.block.name, new_buf)
    return func.with_body(body), name
