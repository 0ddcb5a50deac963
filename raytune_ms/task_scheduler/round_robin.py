"""RoundRobin: tasks take turns drawing batches."""

from __future__ import annotations

from .task_scheduler import TaskScheduler


class RoundRobin(TaskScheduler):
    def _reset(self) -> None:
        self._task_id = -1

    def next_task_id(self) -> int:
        n = len(self.tasks)
        for _ in range(n):
            self._task_id = (self._task_id + 1) % n
            if not self.tasks[self._task_id].is_terminated:
                return self._task_id
        return -1
