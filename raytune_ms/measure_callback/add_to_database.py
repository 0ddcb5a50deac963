"""AddToDatabase: commit every result, failures included, as a tuning record.

A failed candidate (build error, crash, timeout, wrong output) is stored with no run times and
its error message, so it never ranks but is also never measured again after a resume.

Records are committed as they arrive (the run's queries see them at once) but a store that
writes part files (the Parquet store, whose default is a file per record) is written once per
batch: when a search batch's worth of records (`num_trials_per_iter`) is pending, or
`FLUSH_INTERVAL_S` after the oldest pending one arrived, and at the end of the run (the task
scheduler flushes). A crash loses at most the pending batch.
"""

from __future__ import annotations

import contextlib
import time

from ..database import TuningRecord
from .measure_callback import MeasureCallback

#: Longest time a committed record waits in memory before it is written.
FLUSH_INTERVAL_S = 30.0


class AddToDatabase(MeasureCallback):
    def __init__(self):
        self._workloads: dict = {}
        self._pending = 0
        self._pending_since = None

    def __getstate__(self):
        return {}

    def __setstate__(self, state):
        self.__init__()

    def apply(self, task_scheduler, task_id, measure_candidates, builder_results, runner_results):
        database = task_scheduler.database
        if database is None:
            return
        ctx = task_scheduler.tasks[task_id].ctx
        key = (id(database), task_id)
        workload = self._workloads.get(key)
        if workload is None:
            workload = self._workloads[key] = database.commit_workload(ctx.mod)
        now = time.time()
        with _writes_deferred(database):
            for cand, result in zip(measure_candidates, runner_results):
                ok = result.error_msg is None and bool(result.run_secs)
                database.commit_tuning_record(TuningRecord(
                    cand.sch.trace,
                    workload,
                    result.run_secs if ok else None,
                    ctx.target,
                    cand.args_info,
                    error=None if ok else (result.error_msg or "no run time"),
                    task_name=ctx.task_name,
                    node=result.node,
                    time=now,
                ))
        self._flush_if_due(database, len(runner_results), getattr(task_scheduler, "num_trials_per_iter", 64))

    def _flush_if_due(self, database, added: int, batch: int) -> None:
        now = time.monotonic()
        if self._pending_since is None:
            self._pending_since = now
        self._pending += added
        if self._pending >= max(1, batch) or now - self._pending_since >= FLUSH_INTERVAL_S:
            database.flush()
            self._pending, self._pending_since = 0, None


@contextlib.contextmanager
def _writes_deferred(database):
    """Commits buffer in memory instead of each writing a part file (stores with flush_every)."""
    every = getattr(database, "flush_every", None)
    if every is None:
        yield
        return
    database.flush_every = 1 << 62
    try:
        yield
    finally:
        database.flush_every = every
