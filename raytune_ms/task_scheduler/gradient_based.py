"""GradientBased: after one round-robin pass, the next batch goes to the task whose weighted
latency is expected to drop the most.

For a live task with best-latency history b (one entry per completed batch, n entries):
g1 = (b[n-1-w] - b[n-1]) / w (0 when n < w + 1), g2 = b[n-1] / n,
score = weight * (alpha * g1 + (1 - alpha) * g2); the largest score wins, ties at random.

Streaming differs from the reference in one place: the reference joins the chosen task's
running batch before handing it a new one; here a task may have its next batch drawn while
the previous one is still measuring (its history is then one batch behind), and only the
round-robin pass is joined (when there are several tasks), so every task has a history before
scores are compared. Tasks
that have no valid result yet are skipped while others have one; if none has, tasks take
turns (the reference stops).
"""

from __future__ import annotations

import math
import random

from .task_scheduler import TaskScheduler


class GradientBased(TaskScheduler):
    def __init__(self, *, alpha: float = 0.2, window_size: int = 3, seed: int = -1, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"GradientBased.alpha must be in [0, 1], got {alpha}")
        if int(window_size) < 1:
            raise ValueError(f"GradientBased.window_size must be >= 1, got {window_size}")
        self.alpha = float(alpha)
        self.window_size = int(window_size)
        self.seed = seed

    def _reset(self) -> None:
        self._round_robin = 0
        self._fallback = -1
        self._rng = random.Random(None if self.seed in (None, -1) else self.seed)

    def _score(self, task) -> float | None:
        history = task.best_history or ([task.best_ms] if math.isfinite(task.best_ms) else [])
        if not history or not math.isfinite(history[-1]):
            return None
        n, w, best = len(history), self.window_size, history[-1]
        g1 = (history[n - 1 - w] - best) / w if n >= w + 1 and math.isfinite(history[n - 1 - w]) else 0.0
        g2 = best / n
        return task.task_weight * (self.alpha * g1 + (1.0 - self.alpha) * g2)

    def next_task_id(self) -> int:
        n = len(self.tasks)
        while self._round_robin < n:
            task_id = self._round_robin
            self._round_robin += 1
            if not self.tasks[task_id].is_terminated:
                return task_id
        if self._round_robin == n:
            self._round_robin += 1
            for task_id in range(n if n > 1 else 0):
                if self.tasks[task_id].in_flight:
                    self.join_running_task(task_id)
        alive = [i for i, t in enumerate(self.tasks) if not t.is_terminated]
        if not alive:
            return -1
        scores = {i: self._score(self.tasks[i]) for i in alive}
        valid = {i: s for i, s in scores.items() if s is not None}
        if not valid:
            later = [i for i in alive if i > self._fallback] or alive
            self._fallback = later[0]
            return self._fallback
        best = max(valid.values())
        return self._rng.choice([i for i, s in valid.items() if s == best])
