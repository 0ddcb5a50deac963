"""rfactor: turn one reduction loop of a block into a spatial dimension of partial results.

For `C[i] = sum_k f(i, k)` and a loop `k1` among k's loops, the rfactor block computes
`C_rf[.., k1, ..][i] = sum_{other k loops} f` (the rfactor loop becomes a spatial iterator and
a new buffer dimension at `factor_axis`) in the original loop nest, and a write-back block,
keeping the original name, reduces `C[i] = init combined with C_rf[.., k1, ..][i] over k1` in a
new loop nest placed right after. Partial results start at the reducer's identity; the
write-back starts from the original init value, so any init is preserved.

The rfactor block's iterators are its spatial ones, then the factored and the other reduction
iterators in the order of their loops: a compute_at, which lays loops out in iterator order,
keeps a factored inner loop innermost (the partial results a vector of contiguous lanes).
"""

from __future__ import annotations

from ... import tir
from ...tir import (
    Block,
    BlockRealize,
    Buffer,
    BufferLoad,
    BufferRegion,
    BufferStore,
    For,
    IterVar,
    Range,
    Var,
)
from ...tir.analysis import const_int, match_reducer
from ...tir.functor import used_vars
from ..error import ScheduleError
from ..tree import blocks_in, find_path, loop_path, loops_above, replace_path
from .block_common import add_alloc, find_block, fresh_name, scope_realize


def rfactor(func, loop_var, factor_axis):
    """Returns (func, name of the rfactor block)."""
    prim = "rfactor"
    lname = loop_var.name
    lpath = loop_path(func, loop_var)
    loop = lpath[-1]
    inside = blocks_in(loop.body)
    if len(inside) != 1:
        raise ScheduleError(f"{prim}: loop {lname!r} must hold exactly one block, it holds "
                            f"{[b.block.name for b in inside]}")
    me = inside[0]
    block = me.block
    name = block.name
    red = match_reducer(block)
    if red is None:
        raise ScheduleError(
            f"{prim}: block {name!r} is not a recognised reduction (init storing a value and a "
            "body `C = C + x` / `C * x` / `max(C, x)` / `min(C, x)` into the same element)")
    path = find_block(func.body, name)
    loops = loops_above(path)
    outer = loops[0]
    if len(blocks_in(outer)) != 1:
        raise ScheduleError(f"{prim}: the outermost loop {outer.loop_var.name!r} of block {name!r} "
                            "holds other blocks too")
    spatial_ids, reduce_ids = set(), set()
    for iv, val in zip(block.iter_vars, me.iter_values):
        (spatial_ids if iv.kind == "spatial" else reduce_ids).update(used_vars(val))
    lid = id(loop_var)
    if lid not in reduce_ids or lid in spatial_ids:
        raise ScheduleError(f"{prim}: loop {lname!r} is not a reduction loop of block {name!r} "
                            "(it must drive only reduction iterators)")
    mixed = [f.loop_var.name for f in loops
             if id(f.loop_var) in spatial_ids and id(f.loop_var) in reduce_ids]
    if mixed:
        raise ScheduleError(f"{prim}: loops {mixed} of block {name!r} drive both spatial and "
                            "reduction iterators")
    if used_vars(me.predicate) & reduce_ids:
        raise ScheduleError(f"{prim}: block {name!r} has a predicate on its reduction loops "
                            "(a non-divisible split); rfactor needs full reduction loops")
    extent = const_int(loop.extent)
    if extent is None:
        raise ScheduleError(f"{prim}: loop {lname!r} has a non-constant extent")
    buf = red.buffer
    ndim = buf.ndim
    if isinstance(factor_axis, bool) or not isinstance(factor_axis, int) or \
            not -(ndim + 1) <= factor_axis <= ndim:
        raise ScheduleError(f"{prim}: factor_axis {factor_axis!r} out of range [{-(ndim + 1)}, {ndim}] "
                            f"for the {ndim}-d buffer {buf.name!r}")
    axis = factor_axis % (ndim + 1)

    rf_name = fresh_name(func, f"{name}_rf")
    rf_buf_name = rf_name if f"{buf.name}_rf" == rf_name else fresh_name(func, f"{buf.name}_rf", (rf_name,))
    shape = list(buf.shape)
    shape.insert(axis, extent)
    rf_buf = Buffer(rf_buf_name, shape, buf.dtype, buf.scope)

    # --- the rfactor block, in the original loop nest
    spatial = [(iv, v) for iv, v in zip(block.iter_vars, me.iter_values) if iv.kind == "spatial"]
    sub = {}
    ivs, values = [], []
    for iv, v in spatial:
        nv = Var(iv.var.name, iv.var.dtype)
        sub[iv.var] = nv
        ivs.append(IterVar(nv, iv.dom, "spatial"))
        values.append(v)
    vrf = Var(f"v{lname}", loop_var.dtype)
    loop_to_iv = {loop_var: vrf}
    for f in loops:  # the factored and the other reduction iterators in loop order
        if f.loop_var is loop_var:
            ivs.append(IterVar(vrf, Range(loop.min, extent), "spatial"))
            values.append(loop_var)
        elif id(f.loop_var) in reduce_ids:
            nv = Var(f"v{f.loop_var.name}", f.loop_var.dtype)
            loop_to_iv[f.loop_var] = nv
            ivs.append(IterVar(nv, Range(f.min, f.extent), "reduce"))
            values.append(f.loop_var)
    for iv, v in zip(block.iter_vars, me.iter_values):
        if iv.kind == "reduce":
            sub[iv.var] = tir.substitute(v, loop_to_iv)

    def rf_index(indices, extra):
        idx = list(indices)
        idx.insert(axis, extra)
        return idx

    idx = [tir.substitute(i, sub) for i in red.indices]
    rf_idx = rf_index(idx, vrf)
    rhs = tir.substitute(red.rhs, sub)
    rf_block = Block(
        rf_name, ivs,
        reads=[BufferRegion(r.buffer, [Range(tir.substitute(x.min, sub), tir.substitute(x.extent, sub))
                                       for x in r.region])
               for r in block.reads if r.buffer is not buf],
        writes=[BufferRegion(rf_buf, [Range(i, 1) for i in rf_idx])],
        body=BufferStore(rf_buf, red.combine(BufferLoad(rf_buf, rf_idx), rhs), rf_idx),
        init=BufferStore(rf_buf, red.identity(), rf_idx),
    )
    rf_realize = BlockRealize(values, me.predicate, rf_block)

    # --- the write-back block, in copies of the spatial loops and the rfactor loop
    kept = [f for f in loops if id(f.loop_var) in spatial_ids or f.loop_var is loop_var]
    copies = {f.loop_var: Var(f.loop_var.name, f.loop_var.dtype) for f in kept}
    wsub, wivs, wvalues = {}, [], []
    for iv, v in spatial:
        nv = Var(iv.var.name, iv.var.dtype)
        wsub[iv.var] = nv
        wivs.append(IterVar(nv, iv.dom, "spatial"))
        wvalues.append(tir.substitute(v, copies))
    wr = Var(f"v{lname}", loop_var.dtype)
    wivs.append(IterVar(wr, Range(loop.min, extent), "reduce"))
    wvalues.append(copies[loop_var])
    widx = [tir.substitute(i, wsub) for i in red.indices]
    wrf_idx = rf_index(widx, wr)
    wb_block = Block(
        name, wivs,
        reads=[BufferRegion(rf_buf, [Range(i, 1) for i in wrf_idx])],
        writes=[BufferRegion(buf, [Range(i, 1) for i in widx])],
        body=BufferStore(buf, red.combine(BufferLoad(buf, widx), BufferLoad(rf_buf, wrf_idx)), widx),
        init=BufferStore(buf, tir.substitute(red.init_value, wsub), widx),
        annotations=block.annotations,
    )
    wb = BlockRealize(wvalues, tir.substitute(me.predicate, copies), wb_block)
    for f in reversed(kept):
        wb = For(copies[f.loop_var], f.min, f.extent, "serial", wb)

    scope = scope_realize(path)
    body = replace_path(path, rf_realize)
    opath = find_path(body, lambda s: isinstance(s, For) and s.loop_var is outer.loop_var)
    body = replace_path(opath, tir.seq(opath[-1], wb))
    body = add_alloc(body, scope.block.name, rf_buf)
    return func.with_body(body), rf_name
