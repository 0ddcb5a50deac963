"""RewriteReductionBlock: move every reduction's init out of the update (decompose_reduction
at the block's outermost loop that carries a reduction), so the update loop nest runs without
a "first iteration?" test. A block whose loops are all data-parallel keeps its init."""

from __future__ import annotations

from ..schedule.primitives.bindings import uses_var
from ..schedule.tree import block_path, loops_above
from ..tir import Block, collect
from .postproc import Postproc


def _first_reduction_loop(func, name):
    realize = block_path(func, name)[-1]
    reduce_values = [v for iv, v in zip(realize.block.iter_vars, realize.iter_values) if iv.kind == "reduce"]
    for pos, f in enumerate(loops_above(block_path(func, name))):
        if any(uses_var(v, f.loop_var) for v in reduce_values):
            return pos
    return None


class RewriteReductionBlock(Postproc):
    def apply(self, sch) -> bool:
        for fname in sch.mod.get_global_vars():
            sch.work_on(fname)
            while True:
                func = sch.mod[fname]
                todo = None
                for b in collect(func.body, Block):
                    if b.init is not None and b.name != "root":
                        pos = _first_reduction_loop(func, b.name)
                        if pos is not None:
                            todo = (b.name, pos)
                            break
                if todo is None:
                    break
                block = sch.get_block(todo[0], fname)
                sch.decompose_reduction(block, sch.get_loops(block)[todo[1]])
        return True
