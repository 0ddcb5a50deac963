"""ScheduleError: a primitive's precondition failed; the schedule is left unchanged."""


class ScheduleError(ValueError):
    """Raised by schedule primitives with a message naming the block/loop and the condition."""
