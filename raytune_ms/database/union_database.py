"""A read-only view over several databases that answers with the best record among all."""

from __future__ import annotations

from .database import Database, TuningRecord, Workload, top_k_valid


class UnionDatabase(Database):
    """Each query goes to every member; the record with the lowest mean run time wins (the
    first member's on a tie). Commit to a member, not to the union."""

    def __init__(self, *databases: Database):
        self.databases = list(databases)

    def _read_only(self, what: str):
        raise NotImplementedError(f"{type(self).__name__} is read-only: {what} into one of its member databases")

    def has_workload(self, mod) -> bool:
        return any(db.has_workload(mod) for db in self.databases)

    def commit_workload(self, mod) -> Workload:
        self._read_only("commit workloads")

    def commit_tuning_record(self, record: TuningRecord) -> None:
        self._read_only("commit tuning records")

    def get_top_k(self, workload: Workload, top_k: int, *, target=None) -> list[TuningRecord]:
        merged = [r for db in self.databases for r in db._top_k_for(workload, top_k, target)]
        return top_k_valid(merged, top_k)

    def get_all_tuning_records(self) -> list[TuningRecord]:
        return [r for db in self.databases for r in db.get_all_tuning_records()]

    def __len__(self) -> int:
        return sum(len(db) for db in self.databases)

    def _query_candidates(self, mod, target) -> list[TuningRecord]:
        """Only the winning record: the members' workloads differ, so they are not ranked jointly."""
        record = self.query_tuning_record(mod, target)
        return [] if record is None else [record]

    def query_tuning_record(self, mod, target, workload_name: str = "main"):
        found = (db.query_tuning_record(mod, target, workload_name) for db in self.databases)
        found = [r for r in found if r is not None]
        return min(found, key=lambda r: r.mean_run_secs) if found else None
