"""AutoInline: inline a block into its consumers (or a consumer into its producer) when that
is cheap and safe, in the reference's order of checks:

1. the block writes exactly one buffer;
2. with inline_const_tensor, a block that reads nothing and has consumers is inlined at once;
3. (only if the function is not entirely spatial) no disallowed op (exp by default, so that a
   softmax does not recompute it), no branch (predicate, if, select), and every read maps
   injectively and in order onto the write;
4. the annotation `meta_schedule.inline_rule = "disable"` forbids it; the root never inlines;
5. into_consumer: inline if it has consumers and compute_inline succeeds; into_producer:
   reverse-inline into its single producer.
"""

from __future__ import annotations

from ..schedule import ScheduleError
from .block_analysis import BlockInfo, has_branch, injective_ordered, is_spatial_func, uses_op
from .schedule_rule import ScheduleRule

INLINE_RULE_KEY = "meta_schedule.inline_rule"


class AutoInline(ScheduleRule):
    def __init__(self, into_producer: bool = False, into_consumer: bool = True,
                 inline_const_tensor: bool = True, disallow_if_then_else: bool = True,
                 require_injective: bool = True, require_ordered: bool = True, disallow_op=None):
        self.into_producer = bool(into_producer)
        self.into_consumer = bool(into_consumer)
        self.inline_const_tensor = bool(inline_const_tensor)
        self.disallow_if_then_else = bool(disallow_if_then_else)
        self.require_injective = bool(require_injective)
        self.require_ordered = bool(require_ordered)
        self.disallow_op = tuple(op.split(".")[-1] for op in (disallow_op or ()))

    def _kind(self, info: BlockInfo) -> str:
        """"inline", "reverse" or "none"."""
        b = info.block
        if info.is_root or len(b.writes) != 1:
            return "none"
        consumers = info.consumers()
        if self.inline_const_tensor and not b.reads and consumers:
            return "inline"
        if not is_spatial_func(info.func):
            if self.disallow_op and uses_op(b, self.disallow_op):
                return "none"
            if self.disallow_if_then_else and has_branch(info):
                return "none"
            if self.require_injective or self.require_ordered:
                injective, ordered = injective_ordered(b)
                if (self.require_injective and not injective) or (self.require_ordered and not ordered):
                    return "none"
        if info.annotation(INLINE_RULE_KEY) == "disable":
            return "none"
        if self.into_consumer and consumers:
            return "inline"
        if self.into_producer and len(info.producers()) == 1:
            return "reverse"
        return "none"

    def apply(self, sch, block) -> list:
        kind = self._kind(BlockInfo(sch, block))
        try:
            if kind == "inline":
                sch.compute_inline(block)
            elif kind == "reverse":
                sch.reverse_compute_inline(block)
        except ScheduleError:
            pass  # not feasible: the block stays
        return [sch]
