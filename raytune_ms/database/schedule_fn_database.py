"""A database that answers queries by running a hand-written schedule function."""

from __future__ import annotations

from .database import Database, TuningRecord, Workload, _as_module, new_schedule
from .module_equality import check_module_equality


class ScheduleFnDatabase(Database):
    """`schedule_fn(sch)` schedules a fresh Schedule of the queried module and returns whether
    it applies (False declines the workload; None counts as applied, for functions that just
    schedule). Nothing is stored: commits are no-ops and it holds no records."""

    def __init__(self, schedule_fn, module_equality: str = "structural"):
        if not callable(schedule_fn):
            raise TypeError(f"schedule_fn must be callable, got {type(schedule_fn).__name__}")
        self.schedule_fn = schedule_fn
        self.module_equality = check_module_equality(module_equality)

    def has_workload(self, mod) -> bool:
        return False

    def commit_workload(self, mod) -> Workload:
        return Workload(_as_module(mod))

    def commit_tuning_record(self, record: TuningRecord) -> None:
        return None

    def get_top_k(self, workload: Workload, top_k: int, *, target=None) -> list[TuningRecord]:
        return []

    def get_all_tuning_records(self) -> list[TuningRecord]:
        return []

    def __len__(self) -> int:
        return 0

    def query_schedule(self, mod, target, workload_name: str = "main"):
        sch = new_schedule(mod, workload_name)
        return None if self.schedule_fn(sch) is False else sch

    def query_tuning_record(self, mod, target, workload_name: str = "main"):
        sch = self.query_schedule(mod, target, workload_name)
        if sch is None:
            return None
        return TuningRecord(sch.trace, Workload(_as_module(mod)), None, target, None)
