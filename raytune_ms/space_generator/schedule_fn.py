"""ScheduleFn: a design space written by hand as a Python function of a Schedule."""

from __future__ import annotations

from ..schedule import Schedule
from .space_generator import FROM_TARGET, SpaceGenerator


class ScheduleFn(SpaceGenerator):
    """`sch_fn(sch)` schedules a fresh Schedule of the module in place (returning None), or
    returns a Schedule, or a list of Schedules. Its sample_* calls make it a space: each call
    of generate_design_space seeds the schedule differently."""

    def __init__(self, sch_fn, sch_rules=FROM_TARGET, postprocs=FROM_TARGET, mutator_probs=FROM_TARGET):
        if not callable(sch_fn):
            raise TypeError(f"ScheduleFn needs a callable, got {type(sch_fn).__name__}")
        super().__init__(sch_rules, postprocs, mutator_probs)
        self.sch_fn = sch_fn

    def generate_design_space(self, mod) -> list:
        sch = Schedule(mod, seed=self.fork_seed())
        name = getattr(self.sch_fn, "__name__", repr(self.sch_fn))
        return schedules_of(self.sch_fn(sch), sch, f"schedule function {name}")


def schedules_of(result, sch, what: str) -> list:
    """What a schedule function returned as a list: None means `sch` scheduled in place."""
    if result is None:
        return [sch]
    if isinstance(result, Schedule):
        return [result]
    if isinstance(result, (list, tuple)) and all(isinstance(s, Schedule) for s in result):
        return list(result)
    raise TypeError(f"{what} must return None, a Schedule or a list of Schedules, got {type(result).__name__}")
