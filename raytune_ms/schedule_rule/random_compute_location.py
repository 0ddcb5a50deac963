"""RandomComputeLocation: a block left at the root (not tiled, not the root, with loops whose
outermost holds only it, and with a consumer) is computed at a location drawn by
sample_compute_location among the loops of its consumers where compute_at is legal (or left
at the root). An rfactor block recorded by AddRFactor follows its write-back block the same
way."""

from __future__ import annotations

from ..schedule.tree import child_blocks
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
        return [sch]

    @staticmethod
    def _move(sch, block) -> None:
        sch.compute_at(block, sch.sample_compute_location(block), preserve_unit_loops=True)
