"""What a tuning run returns: per-task trials, errors and best latency, the run's profile and
its cost model — a plain object that crosses process boundaries (the task-scheduler actor
returns it to the driver), so nobody reads the scheduler's private state afterwards."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..progress import format_ms


@dataclass(frozen=True)
class TaskResult:
    """One task after (or during) a run. best_ms is None until a candidate ran correctly;
    stop_reason says why the task stopped drawing candidates (None while it still draws)."""

    task_name: str
    flop: int
    weight: float
    trials: int
    errors: int
    best_ms: float | None
    done: bool
    stop_reason: str | None = None

    @property
    def gflops(self) -> float:
        if self.best_ms is None or self.best_ms <= 0:
            return 0.0
        return self.flop / (self.best_ms * 1e-3) / 1e9


@dataclass(frozen=True)
class TuneResult:
    """A tuning run: its tasks, candidates submitted, wall seconds, the Profiler's seconds per
    phase, the cost model as trained by the run (the driver's own object when the scheduler ran
    in this process, the run's copy when it ran in an actor) and the database."""

    tasks: tuple[TaskResult, ...]
    trials_submitted: int
    max_trials_global: int
    wall_s: float
    profile: dict = field(default_factory=dict)
    cost_model: object = None
    database: object = None
    interrupted: bool = False
    records_saved: int | None = None  # records the run added to its database (run_tuning)

    #: task stop reasons that mean "its budget was used", not an early end
    BUDGET_REASONS = ("max_trials_per_task reached", "the global trial budget was used")

    @property
    def stop_reason(self) -> str | None:
        """Why the run ended before its trial budget: "interrupted", or its tasks' own reasons
        (space exhausted, search failed, ...) joined; None when the budget was used."""
        if self.interrupted:
            return "interrupted"
        if self.trials_submitted >= self.max_trials_global:
            return None
        reasons = []
        for t in self.tasks:
            if t.stop_reason and t.stop_reason not in self.BUDGET_REASONS and t.stop_reason not in reasons:
                reasons.append(t.stop_reason)
        return "; ".join(reasons) or None

    @property
    def trials(self) -> int:
        """Candidates with a result (errors included)."""
        return sum(t.trials for t in self.tasks)

    @property
    def errors(self) -> int:
        return sum(t.errors for t in self.tasks)

    def progress(self) -> dict:
        """The snapshot a progress_callback receives (see ProgressBar)."""
        return {
            "trials_done": self.trials,
            "trials_submitted": self.trials_submitted,
            "max_trials_global": self.max_trials_global,
            "errors": self.errors,
            "elapsed_s": self.wall_s,
            "stop_reason": self.stop_reason,
            "tasks": [
                {"name": t.task_name, "trials": t.trials, "errors": t.errors, "best_ms": t.best_ms,
                 "gflops": t.gflops, "done": t.done, "stop_reason": t.stop_reason}
                for t in self.tasks
            ],
        }

    def summary_line(self) -> str:
        """One line: trials, errors, the best task's latency and GFLOP/s, why it ended early."""
        best = [t for t in self.tasks if t.best_ms is not None]
        text = f"tuned {len(self.tasks)} task(s): {self.trials} trials, {self.errors} errors"
        if best:
            top = max(best, key=lambda t: t.gflops) if len(best) > 1 else best[0]
            text += f", best {format_ms(top.best_ms)} = {top.gflops:.2f} GFLOP/s"
            text += f" ({top.task_name})" if len(self.tasks) > 1 else ""
        else:
            text += ", no valid result"
        reason = self.stop_reason
        return text + (f"; ended early: {reason}" if reason else "")

    def tuning_statistics(self) -> str:
        """The reference's per-task table (ID, Name, FLOP, Weight, GFLOPS, Latency (us),
        Weighted Latency (us), Trials, Done), then the totals."""
        header = ["ID", "Name", "FLOP", "Weight", "GFLOPS", "Latency (us)", "Weighted Latency (us)",
                  "Trials", "Done"]
        rows = []
        total_latency = 0.0
        for i, t in enumerate(self.tasks):
            known = t.best_ms is not None and math.isfinite(t.best_ms)
            latency = t.best_ms * 1e3 if known else None
            if known:
                total_latency += latency * t.weight
            rows.append([
                str(i), t.task_name, str(t.flop), f"{t.weight:g}",
                f"{t.gflops:.4f}" if known else "N/A",
                f"{latency:.4f}" if known else "N/A",
                f"{latency * t.weight:.4f}" if known else "N/A",
                str(t.trials), "Y" if t.done else "",
            ])
        widths = [max([len(h)] + [len(r[c]) for r in rows]) for c, h in enumerate(header)]

        def line(cells):
            return " | ".join(c.rjust(w) for c, w in zip(cells, widths))

        rule = "-" * len(line(header))
        out = [line(header), rule, *(line(r) for r in rows), rule,
               f"Total trials: {self.trials}", f"Total latency (us): {total_latency:.4f}"]
        return "\n".join(out)

    def print_tuning_statistics(self) -> None:
        print(self.tuning_statistics())
