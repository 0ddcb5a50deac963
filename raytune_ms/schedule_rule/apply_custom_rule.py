"""ApplyCustomRule: a block annotated `schedule_rule = "<name>"` is scheduled by the custom
rule registered under that name for one of the target's keys ("cpu" for llvm); every other
rule leaves such a block alone. "None" means no rule touches the block. A name with no
registered rule is reported and the annotation removed, so the other rules apply normally.

Custom rules are functions `fn(sch, block) -> list[Schedule]` (or a Schedule, or None for
"scheduled in place"); one with a `target` parameter is also given the tuning target, so its
tiles can follow the target's vector width rather than the host's. The hand-written spaces are
registered as "matmul" and "conv"; they are chosen only by annotation, never by default.
"""

from __future__ import annotations

import inspect
import logging

from .. import _registry
from ..space_generator.schedule_fn import schedules_of
from .block_analysis import CUSTOM_RULE_KEY, BlockInfo
from .schedule_rule import ScheduleRule

_log = logging.getLogger(__name__)

#: (target key, rule name) -> function or "module:function"
CUSTOM_RULES = {
    ("cpu", "matmul"): "raytune_ms.schedule_rule.apply_custom_rule:_matmul",
    ("cpu", "conv"): "raytune_ms.schedule_rule.apply_custom_rule:_conv",
}


def register_custom_rule(name: str, fn=None, *, key: str = "cpu", override: bool = False):
    """Register `fn(sch, block)` as custom rule `name` for target key `key` (usable as a
    decorator)."""
    def add(f):
        if (key, name) in CUSTOM_RULES and not override:
            raise ValueError(f"custom schedule rule {name!r} for {key!r} is already registered")
        CUSTOM_RULES[(key, name)] = f
        return f

    return add if fn is None else add(fn)


def _matmul(sch, block, target=None):
    """The hand-written matmul space (it finds its block itself), tiled for the target's lanes."""
    from ..spaces.matmul import matmul_space

    return matmul_space(sch, None if target is None else target.vector_lanes)


def _conv(sch, block):
    from ..spaces.conv import conv_space

    return conv_space(sch)


class ApplyCustomRule(ScheduleRule):
    def __init__(self):
        self.keys = ("cpu",)
        self.target = None

    def _initialize_with_tune_context(self, context) -> None:
        if context.target is not None:
            self.keys = tuple(context.target.keys)
            self.target = context.target

    def apply(self, sch, block) -> list:
        info = BlockInfo(sch, block)
        name = info.annotation(CUSTOM_RULE_KEY)
        if not isinstance(name, str):
            return [sch]
        if name == "None":
            return [sch]
        for key in self.keys:
            entry = CUSTOM_RULES.get((key, name))
            if entry is None:
                continue
            fn = _registry.load(entry)
            wants_target = "target" in inspect.signature(fn).parameters
            out = fn(sch, block, target=self.target) if wants_target else fn(sch, block)
            return schedules_of(out, sch, f"custom schedule rule {name!r}")
        _log.warning("block %r: no custom schedule rule %r for target keys %s; removing the annotation",
                     info.name, name, list(self.keys))
        sch.unannotate(block, CUSTOM_RULE_KEY)
        return [sch]
