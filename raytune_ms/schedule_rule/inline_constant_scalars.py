"""InlineConstantScalars: a block that reads nothing and writes one 0-d buffer that is not a
function output (a scalar constant) is inlined into its consumers, before any other rule."""

from __future__ import annotations

from ..schedule import ScheduleError
from .block_analysis import BlockInfo
from .schedule_rule import ScheduleRule


class InlineConstantScalars(ScheduleRule):
    def apply(self, sch, block) -> list:
        info = BlockInfo(sch, block)
        b = info.block
        if info.is_root or b.reads or len(b.writes) != 1 or b.writes[0].buffer.ndim != 0 or info.is_output():
            return [sch]
        try:
            sch.compute_inline(block)
        except ScheduleError:
            pass
        return [sch]
