"""RandomComputeLocation: a block left at the root (not tiled, not the root, with loops whose
outermost holds only it, and with a consumer) is computed at a location drawn by
sample_compute_location among the loops of its consumers where compute_at is legal (or left
at the root). An rfactor block recorded by AddRFactor follows its write-back block the same
way; beyond the reference, its own loops are then reordered reduction first, so that its
factored axis (the partial results, which the reduction reads contiguously when it was the
inner piece of the split) is the innermost loop and can be vectorised (a compute_at lays the
loops out in the block's iterator order, which puts the reduction innermost)."""

from __future__ import annotations

from ..schedule import ScheduleError
from ..schedule.tree import child_blocks
from ..tir.functor import used_vars
from .block_analysis import RANDOM_COMPUTE_PRODUCER, TILING_KEY, BlockInfo
from .schedule_rule import ScheduleRule


def _movable(info: BlockInfo) -> bool:
    if info.is_root or not info.parent_is_root or not info.loops:
        return False
    if info.annotation(TILING_KEY) is not None:
        return False
    if len(child_blocks(info.loops[0])) != 1:
        return False
    return bool(info.consumers())


class RandomComputeLocation(ScheduleRule):
    def apply(self, sch, block) -> list:
        info = BlockInfo(sch, block)
        if not _movable(info):
            return [sch]
        producer = None
        if info.annotation(RANDOM_COMPUTE_PRODUCER) is not None:
            producers = sch.get_producers(block)
            sch.unannotate(block, RANDOM_COMPUTE_PRODUCER)
            if len(producers) == 1:
                producer = producers[0]
        self._move(sch, block)
        if producer is not None:
            self._move(sch, producer)
            _partials_innermost(sch, producer)
        return [sch]

    @staticmethod
    def _move(sch, block) -> None:
        sch.compute_at(block, sch.sample_compute_location(block), preserve_unit_loops=True)


def _partials_innermost(sch, block) -> None:
    """Reorder the loops bound to `block`'s iterators: the spatial ones but the innermost,
    then the reduction ones, then the innermost spatial one (the factored axis)."""
    info = BlockInfo(sch, block)
    n = len(info.block.iter_vars)
    if len(info.loops) < n or n < 2:
        return
    kinds = []
    for f in info.loops[-n:]:
        bound = [iv.kind for iv, v in zip(info.block.iter_vars, info.realize.iter_values)
                 if id(f.loop_var) in used_vars(v)]
        if len(bound) != 1 or bound[0] not in ("spatial", "reduce"):
            return
        kinds.append(bound[0])
    if kinds[-1] != "reduce" or "spatial" not in kinds:
        return
    rvs = sch.get_loops(block)[-n:]
    spatial = [rv for rv, k in zip(rvs, kinds) if k == "spatial"]
    reduce = [rv for rv, k in zip(rvs, kinds) if k == "reduce"]
    try:
        sch.reorder(*spatial[:-1], *reduce, spatial[-1])
    except ScheduleError:
        pass  # not a single chain: the order stays
