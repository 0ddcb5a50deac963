"""The task scheduler's bookkeeping for one task and for one batch of its candidates."""

from __future__ import annotations

import math


class Batch:
    """One call's worth of candidates from a task's search strategy. It completes when every
    candidate that was submitted has its result (candidates dropped for lack of budget are
    subtracted from `expected`)."""

    __slots__ = ("expected", "results")

    def __init__(self, expected: int):
        self.expected = expected
        self.results: list = []

    @property
    def complete(self) -> bool:
        return len(self.results) >= self.expected


class TaskRecord:
    """ctx: the TuneContext; task_weight; flop: estimated floating-point operations.

    num_submitted counts candidates sent to the builder; `results` holds every RunnerResult
    in arrival order (errors included); best_ms is the best mean latency so far (including
    records already in the database when the run started); best_history gets best_ms each
    time a batch completes (the gradient scheduler reads it).
    """

    def __init__(self, ctx, task_weight: float, flop: int):
        self.ctx = ctx
        self.task_weight = float(task_weight)
        self.flop = int(flop)
        self.is_terminated = False
        self.stop_reason: str | None = None
        self.num_submitted = 0
        self.in_flight = 0
        self.results: list = []
        self.num_errors = 0
        self.best_ms = math.inf
        self.best_history: list[float] = []
        self.last_batch_results: list = []
        self.baseline = None
        self.baseline_state = "none"  # none | building | ready | failed
        self.parked: list = []

    @property
    def num_trials(self) -> int:
        return len(self.results)

    @property
    def task_name(self) -> str:
        return self.ctx.task_name

    @property
    def gflops(self) -> float:
        if not math.isfinite(self.best_ms) or self.best_ms <= 0:
            return 0.0
        return self.flop / (self.best_ms * 1e-3) / 1e9

    def record(self, result) -> float | None:
        """Count one result; returns its mean latency in ms (None for an error)."""
        self.results.append(result)
        if result.error_msg is not None or not result.run_secs:
            self.num_errors += 1
            return None
        ms = 1e3 * sum(result.run_secs) / len(result.run_secs)
        self.best_ms = min(self.best_ms, ms)
        return ms
