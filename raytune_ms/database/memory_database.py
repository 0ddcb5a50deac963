"""A database held in process memory: the index every stored kind builds on."""

from __future__ import annotations

from .database import (
    Database,
    TuningRecord,
    Workload,
    WorkloadTable,
    _as_module,
    top_k_valid,
)
from .module_equality import check_module_equality


class MemoryDatabase(Database):
    """Workloads in a hash table, records in commit order, grouped per workload. work_dir is
    accepted for `Database.create(kind, work_dir=...)` and unused: nothing is stored."""

    def __init__(self, module_equality: str = "structural", *, work_dir: str | None = None):
        self.module_equality = check_module_equality(module_equality)
        self._workloads = WorkloadTable(self.module_equality)
        self._records: list[TuningRecord] = []
        self._by_workload: dict[Workload, list[TuningRecord]] = {}

    # -- index (used by subclasses that persist) ---------------------------------------------
    def _index_workload(self, workload: Workload) -> tuple[Workload, bool]:
        """The stored equal workload and whether `workload` was new."""
        stored = self._workloads.add(workload)
        if stored is workload and workload not in self._by_workload:
            self._by_workload[workload] = []
            return stored, True
        return stored, False

    def _index_record(self, record: TuningRecord) -> TuningRecord:
        """The record, on the stored workload object when it is the same program; grouped
        under its class's representative (a workload equal by anchor block only keeps its own
        program: the trace was tuned on it)."""
        workload, _ = self._index_workload(record.workload)
        if workload is not record.workload and workload.same_as(record.workload):
            record = record.with_workload(workload)
        self._records.append(record)
        self._by_workload[workload].append(record)
        return record

    # -- Database ----------------------------------------------------------------------------
    def _find_workload(self, mod) -> Workload | None:
        return self._workloads.find(Workload(_as_module(mod)))

    def has_workload(self, mod) -> bool:
        return self._find_workload(mod) is not None

    def commit_workload(self, mod) -> Workload:
        workload, _ = self._index_workload(Workload(_as_module(mod)))
        return workload

    def commit_tuning_record(self, record: TuningRecord) -> None:
        self._index_record(record)

    def get_top_k(self, workload: Workload, top_k: int, *, target=None) -> list[TuningRecord]:
        stored = self._workloads.find(workload)
        records = self._by_workload.get(stored, []) if stored is not None else []
        return top_k_valid(records, top_k, target)

    def get_all_tuning_records(self) -> list[TuningRecord]:
        return list(self._records)

    def workloads(self) -> list[Workload]:
        """Every stored workload."""
        return list(self._workloads)

    def __len__(self) -> int:
        return len(self._records)
