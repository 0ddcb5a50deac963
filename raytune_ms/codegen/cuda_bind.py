"""A postproc-free binding for tests and hand schedules: every block's leading spatial loops are
fused and split into blockIdx.x x threadIdx.x (reduction loops stay serial inside a thread), or,
with `cross_thread`, a reduction block's fused reduction loops are split with the inner part
bound to threadIdx.x (a cross-thread reduction) and its fused spatial loops bound to blockIdx.x."""

from __future__ import annotations

from ..tir.functor import used_vars


def _leaf_blocks(sch):
    from ..tir import BlockRealize, collect

    func = sch.mod.entry_func()
    return [r.block.name for r in collect(func.body, BlockRealize)
            if not collect(r.block.body, BlockRealize) and r.block.name != "root"]


def _split_loops(sch, block):
    """(spatial leading loops, reduction loops) of `block`."""
    from ..schedule.tree import block_path

    func = sch.mod.entry_func()
    realize = block_path(func, sch.get(block).name)[-1]
    reduce_vars = set()
    for iv, v in zip(realize.block.iter_vars, realize.iter_values):
        if iv.kind == "reduce":
            reduce_vars |= used_vars(v)
    loops = sch.get_loops(block)
    spatial = []
    for lp in loops:
        if id(sch.get(lp).loop_var) in reduce_vars:
            break
        spatial.append(lp)
    return spatial, loops[len(spatial):]


def _bind_spatial(sch, loops, threads):
    fused = sch.fuse(*loops) if len(loops) > 1 else loops[0]
    extent = sch.get(fused).extent.value
    bx, tx = sch.split(fused, [None, min(threads, extent)])
    sch.bind(bx, "blockIdx.x")
    sch.bind(tx, "threadIdx.x")


def bind_outer_loops(sch, threads: int = 128, cross_thread: int = 0):
    """Bind every leaf block of `sch` (see the module docstring); returns `sch`. Blocks without
    loops are left alone (codegen rejects them by name)."""
    for name in _leaf_blocks(sch):
        block = sch.get_block(name)
        spatial, reduce = _split_loops(sch, block)
        if cross_thread and reduce:
            red = sch.fuse(*reduce) if len(reduce) > 1 else reduce[0]
            r_ext = sch.get(red).extent.value
            _, rt = sch.split(red, [None, min(cross_thread, r_ext)])
            sch.bind(rt, "threadIdx.x")
            if spatial:
                fused = sch.fuse(*spatial) if len(spatial) > 1 else spatial[0]
                sch.bind(fused, "blockIdx.x")
        elif spatial:
            _bind_spatial(sch, spatial, threads)
    return sch
