"""decompose_reduction: hoist a reduction block's init into its own block placed right before
a loop, so the update loop nest runs without the "first iteration?" test.

The init block keeps the loops above `loop` and gets fresh copies of the spatial loops at or
below it (the reduction loops are dropped): it initialises exactly the outputs that the update
then accumulates under `loop`.
"""

from __future__ import annotations

from ... import tir
from ...tir import Block, BlockRealize, BufferRegion, For, IterVar, Range, Var
from ...tir.analysis import const_int, injective_over, split_conjuncts
from ...tir.arith import simplify
from ...tir.functor import used_vars
from ..error import ScheduleError
from ..tree import block_path, loop_path, loops_above, replace_path
from .block_common import fresh_name
from .block_inline import add_regions


def decompose_reduction(func, block_name, loop_var):
    """Returns (func, name of the new init block)."""
    prim = "decompose_reduction"
    path = block_path(func, block_name)
    me = path[-1]
    block = me.block
    if block.init is None:
        raise ScheduleError(f"{prim}: block {block_name!r} has no init to decompose")
    loops = loops_above(path)
    lname = loop_var.name
    q = next((i for i, f in enumerate(loops) if f.loop_var is loop_var), None)
    if q is None:
        loop_path(func, loop_var)  # a clear error if the loop is gone
        raise ScheduleError(f"{prim}: loop {lname!r} is not an ancestor of block {block_name!r}")
    spatial_ids, reduce_ids = set(), set()
    for iv, val in zip(block.iter_vars, me.iter_values):
        (spatial_ids if iv.kind == "spatial" else reduce_ids).update(used_vars(val))
    for f in loops[:q]:
        if id(f.loop_var) in reduce_ids:
            raise ScheduleError(
                f"{prim}: reduction loop {f.loop_var.name!r} of block {block_name!r} is outside "
                f"loop {lname!r}; the init would run once per reduction step")
    inner = loops[q:]
    for f in inner:
        if id(f.loop_var) in spatial_ids and id(f.loop_var) in reduce_ids:
            raise ScheduleError(
                f"{prim}: loop {f.loop_var.name!r} of block {block_name!r} drives both spatial "
                "and reduction iterators")
    _check_no_recompute(prim, me, inner)
    copies = {f.loop_var: Var(f.loop_var.name) for f in inner if id(f.loop_var) in spatial_ids}
    ranges = {f.loop_var: Range(f.min, f.extent) for f in loops[:q]}
    ranges.update({copies[f.loop_var]: Range(f.min, f.extent) for f in inner if f.loop_var in copies})

    ivs, values, ivmap = [], [], {}
    for iv, val in zip(block.iter_vars, me.iter_values):
        if iv.kind != "spatial":
            continue
        nv = Var(iv.var.name, iv.var.dtype)
        ivmap[iv.var] = nv
        ivs.append(IterVar(nv, iv.dom, "spatial"))
        values.append(simplify(tir.substitute(val, copies), ranges))
    reduce_vars = {id(iv.var) for iv in block.iter_vars if iv.kind == "reduce"}
    for r in block.writes:
        if any(used_vars(x.min) & reduce_vars or used_vars(x.extent) & reduce_vars for x in r.region):
            raise ScheduleError(f"{prim}: block {block_name!r} writes {r.buffer.name!r} at a "
                                "position that depends on a reduction iterator")
    dropped = reduce_ids - {id(v) for v in copies}
    conds = [tir.substitute(c, copies) for c in split_conjuncts(me.predicate)
             if not (used_vars(c) & dropped)]
    init_name = fresh_name(func, f"{block_name}_init")
    init_value = tir.substitute(block.init, ivmap)
    init_block = Block(
        init_name, ivs,
        reads=add_regions((), [BufferRegion(ld.buffer, [Range(i, 1) for i in ld.indices])
                               for ld in tir.collect(init_value, tir.BufferLoad)]),
        writes=[BufferRegion(r.buffer, [Range(tir.substitute(x.min, ivmap), x.extent) for x in r.region])
                for r in block.writes],
        body=init_value,
    )
    nest = BlockRealize(values, tir.all_of(*conds), init_block)
    for f in reversed(inner):
        if f.loop_var in copies:
            nest = For(copies[f.loop_var], f.min, f.extent, "serial", nest)

    # one rebuild of the block's path: the update without its init, and the init before the loop
    at = path.index(loops[q])
    loop = replace_path(path[at:], me.replace(block=block.replace(init=None)))
    body = replace_path(path[:at + 1], tir.seq(nest, loop))
    return func.with_body(body), init_name


def _check_no_recompute(prim, me, inner):
    """Under `loop`, no output element may be computed twice (a loop that drives none of the
    block's iterators, or overlapping tiles from compute_at): its second pass would accumulate
    onto a finished value instead of the init."""
    spatial = [v for iv, v in zip(me.block.iter_vars, me.iter_values) if iv.kind == "spatial"]
    uses = [used_vars(v) for v in me.iter_values]
    for f in inner:
        if const_int(f.extent) != 1 and not any(id(f.loop_var) in u for u in uses):
            raise ScheduleError(
                f"{prim}: loop {f.loop_var.name!r} repeats block {me.block.name!r} without driving "
                "any of its iterators; its init cannot be hoisted above it")
    uses = [used_vars(v) for v in spatial]
    for k, value in enumerate(spatial):
        only_here = {f.loop_var: const_int(f.extent) or 0 for f in inner
                     if id(f.loop_var) in uses[k] and not any(id(f.loop_var) in u
                                                              for j, u in enumerate(uses) if j != k)}
        if injective_over(value, only_here) is False:
            raise ScheduleError(
                f"{prim}: block {me.block.name!r} computes some outputs more than once under the "
                f"loop (binding {tir.script(value)} overlaps); its init cannot be hoisted there")
