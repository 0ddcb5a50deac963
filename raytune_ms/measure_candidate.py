"""MeasureCandidate: one schedule to build and measure, with its kernel's argument information."""

from __future__ import annotations


class MeasureCandidate:
    """A candidate for measurement: the schedule (whose `mod` is built) and the information
    about the kernel's arguments (what the runner allocates)."""

    __slots__ = ("sch", "args_info")

    def __init__(self, sch, args_info):
        self.sch = sch
        self.args_info = list(args_info)

    def __repr__(self):
        return f"MeasureCandidate({len(self.args_info)} args)"
