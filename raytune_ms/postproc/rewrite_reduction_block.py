"""RewriteReductionBlock: move every reduction's init out of the update (decompose_reduction
at the block's outermost loop that carries a reduction), so the update loop nest runs without
a "first iteration?" test. A block whose loops are all data-parallel keeps its init. The init's
copies of the spatial loops get the kinds (vectorized, unrolled) of the loops they copy, so a
vectorised register tile is also initialised with vector stores."""

from __future__ import annotations

from ..schedule.tree import block_path, loops_above, named_blocks
from ..tir import Block, BlockRealize, collect
from ..tir.functor import used_vars
from .postproc import Postproc


def _first_reduction_loop(path):
    """The position among the loops above the block at the end of `path` of the outermost one
    that carries a reduction (None if none does)."""
    realize = path[-1]
    reduce_values = [v for iv, v in zip(realize.block.iter_vars, realize.iter_values) if iv.kind == "reduce"]
    for pos, f in enumerate(loops_above(path)):
        if any(id(f.loop_var) in used_vars(v) for v in reduce_values):
            return pos
    return None


def _copied_kinds(path, pos) -> list:
    """Kinds of the loops from `pos` inward that decompose_reduction copies for the init (those
    a spatial iterator is bound to), in order."""
    realize = path[-1]
    spatial = [v for iv, v in zip(realize.block.iter_vars, realize.iter_values) if iv.kind == "spatial"]
    return [f.kind for f in loops_above(path)[pos:] if any(id(f.loop_var) in used_vars(v) for v in spatial)]


def _blocks(func) -> list:
    """The function's blocks in program order, from the block index that `block_path` builds
    for this version of the function anyway (a second walk otherwise)."""
    if isinstance(func.body, BlockRealize):  # every block sits in a BlockRealize
        return [r.block for r in named_blocks(func)]
    return collect(func.body, Block)


class RewriteReductionBlock(Postproc):
    def apply(self, sch) -> bool:
        for fname in sch.mod.get_global_vars():
            sch.work_on(fname)
            # the blocks with an init, in program order, found once: decomposing one changes
            # neither another block's loops nor their order, and the new init blocks have none
            names = [b.name for b in _blocks(sch.mod[fname]) if b.init is not None and b.name != "root"]
            for name in names:
                path = block_path(sch.mod[fname], name)
                pos = _first_reduction_loop(path)
                if pos is None:
                    continue
                kinds = _copied_kinds(path, pos)
                block = sch.get_block(name, fname)
                init = sch.decompose_reduction(block, sch.get_loops(block)[pos])
                for loop, kind in zip(sch.get_loops(init)[pos:], kinds):
                    if kind == "vectorized":
                        sch.vectorize(loop)
                    elif kind == "unrolled":
                        sch.unroll(loop)
        return True
