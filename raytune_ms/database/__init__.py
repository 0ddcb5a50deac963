"""Tuning databases: the interface, and the json, memory, union, ordered_union, schedule_fn and
parquet kinds (parquet is imported on first use, so pyarrow loads only when needed)."""

from .database import Database, PyDatabase, TuningRecord, Workload
from .json_database import JSONDatabase
from .memory_database import MemoryDatabase
from .ordered_union_database import OrderedUnionDatabase
from .schedule_fn_database import ScheduleFnDatabase
from .union_database import UnionDatabase


def create(kind="json", *args, **kwargs) -> Database:
    """Same as `Database.create`."""
    return Database.create(kind, *args, **kwargs)


def __getattr__(name):
    if name == "ParquetDatabase":
        from .parquet_database import ParquetDatabase

        return ParquetDatabase
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
