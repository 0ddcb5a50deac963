"""A read-only view over several databases that answers from the first member that can."""

from __future__ import annotations

from .database import TuningRecord, Workload
from .union_database import UnionDatabase


class OrderedUnionDatabase(UnionDatabase):
    """Members are asked in order; the first that has a record answers (a hand-written
    schedule database placed first overrides tuned records, for instance)."""

    def get_top_k(self, workload: Workload, top_k: int, *, target=None) -> list[TuningRecord]:
        for db in self.databases:
            found = db._top_k_for(workload, top_k, target)
            if found:
                return found
        return []

    def query_tuning_record(self, mod, target, workload_name: str = "main"):
        for db in self.databases:
            record = db.query_tuning_record(mod, target, workload_name)
            if record is not None:
                return record
        return None
