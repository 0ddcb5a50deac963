"""AddToDatabase: commit every result, failures included, as a tuning record.

A failed candidate (build error, crash, timeout, wrong output) is stored with no run times and
its error message, so it never ranks but is also never measured again after a resume."""

from __future__ import annotations

import time

from ..database import TuningRecord
from .measure_callback import MeasureCallback


class AddToDatabase(MeasureCallback):
    def __init__(self):
        self._workloads: dict = {}

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
