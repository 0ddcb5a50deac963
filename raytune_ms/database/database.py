"""The tuning database interface: workloads (programs keyed by structural hash), tuning records
(a trace measured on a target), and the queries the tuner and compile step ask of any store.

Every query is per target: a record carries its target as the canonical string of
`raytune_ms.target.Target`, and `query(mod, target)` only answers with records measured for that
target (the reference ignores the target, so merged stores answer with another machine's
schedule). Records and workloads keep their JSON text and decode it on first use, so reading a
large store does not parse every trace.
"""

from __future__ import annotations

import contextvars
import functools
import heapq
import json
import math
import warnings

from .. import _registry, tir
from ..tir.structural import canonical_text
from .module_equality import check_module_equality, identity
from .remeasurement import is_remeasure_id, latest_remeasurements, superseded

#: A run time at or above this is the tuner's "failed" sentinel, never a winner.
FAILED_RUN_SECS = 1e10

@functools.lru_cache(maxsize=256)
def _canonical_target_str(text: str) -> str:
    from ..target import Target

    return str(Target(text))


def target_key(target) -> str | None:
    """The canonical string of a Target (or of a target string), or None for no target."""
    if target is None:
        return None
    if isinstance(target, str):
        return _canonical_target_str(target)
    from ..target import Target

    if not isinstance(target, Target):
        target = Target(target)
    return str(target)


def _as_module(mod) -> tir.IRModule:
    return tir.IRModule.from_any(mod)


def _json_text(obj) -> str:
    return json.dumps(obj, separators=(",", ":"))


class Workload:
    """A program under tuning: an IRModule and its structural hash (`shash`, 16 hex digits,
    the same on every machine). Two workloads are the same when their hashes match and their
    programs are structurally equal."""

    __slots__ = ("shash", "_mod", "_ir", "_canon")

    def __init__(self, mod, shash: str | None = None):
        mod = _as_module(mod)
        self._mod = mod
        self._ir = None
        self._canon = None
        self.shash = shash or tir.structural_hash(mod)

    @classmethod
    def from_stored(cls, shash: str, ir) -> Workload:
        """A workload read from storage: `ir` is the IR JSON (text or parsed), decoded lazily."""
        self = cls.__new__(cls)
        self.shash, self._mod, self._ir, self._canon = str(shash), None, ir, None
        return self

    @property
    def mod(self) -> tir.IRModule:
        if self._mod is None:
            self._mod = _as_module(tir.from_json(self._ir))
        return self._mod

    def ir_text(self) -> str:
        """The module's IR as JSON text."""
        if isinstance(self._ir, str):
            return self._ir
        if self._ir is None:
            self._ir = tir.to_json(self._mod)
            return self._ir
        return _json_text(self._ir)

    @property
    def canonical(self) -> str:
        if self._canon is None:
            self._canon = canonical_text(self.mod)
        return self._canon

    def same_as(self, other: Workload) -> bool:
        if self is other or (isinstance(self._ir, str) and self._ir == other._ir):
            return True
        return self.shash == other.shash and self.canonical == other.canonical

    @property
    def names(self) -> list[str]:
        """The global symbols of the module's functions."""
        return [func.name for _, func in self.mod.functions]

    def as_json(self):
        """`[shash, IR JSON object]`, one line of the JSON database's workload file."""
        ir = self._ir if self._ir is not None and not isinstance(self._ir, str) else json.loads(self.ir_text())
        return [self.shash, ir]

    @staticmethod
    def from_json(json_obj) -> Workload:
        shash, ir = json_obj
        return Workload.from_stored(shash, ir)

    def __reduce__(self):
        return (Workload.from_stored, (self.shash, self.ir_text()))

    def __repr__(self):
        return f"Workload(shash={self.shash!r})"


class WorkloadTable:
    """Workloads found by their key under the table's module equality, then confirmed equal.
    Each class of equal workloads has a representative (the first added), which `find` and
    `add` answer with; `add(..., member=True)` also keeps a workload read from storage as a
    member of its class (under "anchor-block" a store can hold several), so that its records,
    stored under its own hash, stay reachable."""

    def __init__(self, module_equality: str = "structural"):
        self.module_equality = check_module_equality(module_equality)
        self._by_key: dict[str, list[tuple[Workload, str | None]]] = {}
        self._members: dict[Workload, list[Workload]] = {}
        self._by_hash: dict[str, list[Workload]] = {}

    def find(self, workload: Workload) -> Workload | None:
        key, anchor = identity(workload, self.module_equality)
        for cand, cand_anchor in self._by_key.get(key, ()):
            if (anchor is not None and anchor == cand_anchor) or (anchor is None and cand.same_as(workload)):
                return cand
        return None

    def add(self, workload: Workload, *, member: bool = False) -> Workload:
        """The representative of `workload`'s class, `workload` itself if the class is new."""
        found = self.find(workload)
        if found is None:
            key, anchor = identity(workload, self.module_equality)
            self._by_key.setdefault(key, []).append((workload, anchor))
            self._members[workload] = []
            found = workload
        elif not member or any(m.same_as(workload) for m in self.members(found)):
            return found
        else:
            self._members[found].append(workload)
        self._by_hash.setdefault(workload.shash, []).append(workload)
        return found

    def members(self, representative: Workload) -> list[Workload]:
        """The stored workloads of the class, the representative first."""
        return [representative, *self._members.get(representative, ())]

    def by_hash(self, shash: str) -> list[Workload]:
        """Stored workloads with this whole-module hash (members included)."""
        return self._by_hash.get(shash, [])

    def __iter__(self):
        for group in self._by_hash.values():
            yield from group

    def __len__(self):
        return sum(len(g) for g in self._by_hash.values())


class TuningRecord:
    """One measured schedule: a trace applied to a workload, its run times on a target, the
    argument information, and provenance (task name, node, wall time, error message).

    A record is valid when it has run times, all finite, below the failure sentinel and no error;
    only valid records rank in top-k queries.
    """

    __slots__ = (
        "_trace", "_trace_json", "workload", "run_secs", "target_key", "_target", "_args_info",
        "_args_info_json", "error", "task_name", "node", "time", "record_id",
    )

    def __init__(self, trace, workload: Workload, run_secs=None, target=None, args_info=None, *,
                 error: str | None = None, task_name: str | None = None, node: str | None = None,
                 time: float | None = None, record_id: str | None = None):
        if not isinstance(workload, Workload):
            raise TypeError(f"TuningRecord.workload must be a Workload, got {type(workload).__name__}")
        if isinstance(trace, (list, str)):
            self._trace, self._trace_json = None, trace
        else:
            self._trace, self._trace_json = trace, None
        self.workload = workload
        self.run_secs = None if run_secs is None else [float(s) for s in run_secs]
        self.target_key = target_key(target)
        self._target = None if target is None or isinstance(target, str) else target
        if args_info is None or (args_info and not hasattr(args_info[0], "as_json")):
            self._args_info, self._args_info_json = None, args_info
        else:
            self._args_info, self._args_info_json = list(args_info), None
        self.error = error
        self.task_name = task_name
        self.node = node
        self.time = None if time is None else float(time)
        self.record_id = record_id

    @classmethod
    def from_stored(cls, workload: Workload, trace_json, run_secs, target: str | None, args_info_json,
                    error=None, task_name=None, node=None, time=None, record_id=None) -> TuningRecord:
        """A record read from storage, trusting its target string to be canonical already."""
        self = cls.__new__(cls)
        self._trace, self._trace_json = None, trace_json
        self.workload = workload
        self.run_secs = run_secs
        self.target_key, self._target = target, None
        self._args_info, self._args_info_json = None, args_info_json
        self.error, self.task_name, self.node, self.time, self.record_id = error, task_name, node, time, record_id
        return self

    # -- lazily decoded fields -------------------------------------------------------------
    @property
    def trace(self):
        if self._trace is None:
            from ..schedule import Trace

            obj = json.loads(self._trace_json) if isinstance(self._trace_json, str) else self._trace_json
            self._trace = Trace.from_json(obj)
        return self._trace

    def trace_json(self):
        """The trace as its JSON object `[instructions, decisions]` (taken from the Trace on
        first use, i.e. when the record is first committed or serialised)."""
        if self._trace_json is None:
            self._trace_json = self._trace.as_json()
        if isinstance(self._trace_json, str):
            return json.loads(self._trace_json)
        return self._trace_json

    def trace_text(self) -> str:
        if isinstance(self._trace_json, str):
            return self._trace_json
        return _json_text(self.trace_json())

    @property
    def target(self):
        """The Target object (None for a record without one)."""
        if self._target is None and self.target_key is not None:
            from ..target import Target

            self._target = Target(self.target_key)
        return self._target

    @property
    def args_info(self):
        if self._args_info is None and self._args_info_json is not None:
            from ..arg_info import ArgInfo

            obj = json.loads(self._args_info_json) if isinstance(self._args_info_json, str) else self._args_info_json
            self._args_info = [ArgInfo.from_json(a) for a in obj]
        return self._args_info

    def args_info_json(self):
        if self._args_info_json is None:
            return None if self._args_info is None else [a.as_json() for a in self._args_info]
        if isinstance(self._args_info_json, str):
            return json.loads(self._args_info_json)
        return self._args_info_json

    # -- ranking -----------------------------------------------------------------------------
    def is_valid(self) -> bool:
        secs = self.run_secs
        return (
            self.error is None
            and bool(secs)
            and all(math.isfinite(s) and 0.0 <= s < FAILED_RUN_SECS for s in secs)
        )

    @property
    def is_remeasurement(self) -> bool:
        """Whether this record re-times a stored trace (see database/remeasurement.py)."""
        return is_remeasure_id(self.record_id)

    @property
    def mean_run_secs(self) -> float:
        """Mean run time; infinity for an invalid record, so it sorts last."""
        return sum(self.run_secs) / len(self.run_secs) if self.is_valid() else math.inf

    # -- conversion --------------------------------------------------------------------------
    def with_workload(self, workload: Workload) -> TuningRecord:
        """The same record attached to another (equal) workload object."""
        out = TuningRecord.__new__(TuningRecord)
        for slot in TuningRecord.__slots__:
            setattr(out, slot, getattr(self, slot))
        out.workload = workload
        return out

    def provenance(self) -> dict:
        fields = {
            "error": self.error, "task_name": self.task_name, "node": self.node,
            "time": self.time, "record_id": self.record_id,
        }
        return {k: v for k, v in fields.items() if v is not None}

    def as_json(self):
        """`[trace, run_secs, target, args_info]`, with a fifth item holding the provenance
        fields (error, task_name, node, time, record_id) when any is set."""
        out = [self.trace_json(), self.run_secs, self.target_key, self.args_info_json()]
        extra = self.provenance()
        if extra:
            out.append(extra)
        return out

    @staticmethod
    def from_json(json_obj, workload: Workload) -> TuningRecord:
        if not isinstance(json_obj, (list, tuple)) or len(json_obj) not in (4, 5):
            raise ValueError("a tuning record must be [trace, run_secs, target, args_info(, provenance)]")
        trace, run_secs, target, args_info = json_obj[:4]
        extra = json_obj[4] if len(json_obj) == 5 else {}
        return TuningRecord.from_stored(workload, trace, run_secs, target, args_info, **extra)

    def as_measure_candidate(self):
        """A MeasureCandidate: the trace replayed on the workload, with its argument info."""
        from ..arg_info import ArgInfo
        from ..measure_candidate import MeasureCandidate

        sch = replay(self, self.workload.mod)
        return MeasureCandidate(sch, self.args_info or ArgInfo.from_entry_func(sch.mod))

    def __reduce__(self):
        """Pickled in stored form (JSON text), so records cross processes without their
        decoded traces and decode lazily on the other side."""
        info = self.args_info_json()
        return (TuningRecord.from_stored, (
            self.workload, self.trace_text(), self.run_secs, self.target_key,
            None if info is None else _json_text(info), self.error, self.task_name, self.node,
            self.time, self.record_id,
        ))

    def __repr__(self):
        secs = "invalid" if not self.is_valid() else f"{self.mean_run_secs * 1e3:.4g} ms"
        return f"TuningRecord(workload={self.workload.shash}, {secs}, target={self.target_key!r})"


def new_schedule(mod, workload_name: str = "main"):
    """A Schedule of `mod` working on `workload_name` (or on its only function)."""
    from ..schedule import Schedule

    sch = Schedule(_as_module(mod))
    if workload_name in sch.mod:
        sch.work_on(workload_name)
    return sch


def replay(record: TuningRecord, mod, workload_name: str = "main"):
    """A new Schedule of `mod` with the record's trace applied (postprocessing included)."""
    sch = new_schedule(mod, workload_name)
    record.trace.apply_to_schedule(sch, remove_postproc=False)
    return sch


def schedule_of(record: TuningRecord, mod, target, workload_name: str = "main"):
    """A Schedule of `mod` with the record's trace: replayed when `mod` is the record's program,
    else (a workload equal by its anchor block only) through schedule_using_anchor_trace, which
    inlines the element-wise blocks the trace does not name and skips its instructions on
    blocks `mod` lacks (ScheduleError, a ValueError, if an instruction fails on `mod`)."""
    mod = _as_module(mod)
    if record.workload.same_as(Workload(mod)):
        return replay(record, mod, workload_name)
    from ..trace_apply import schedule_using_anchor_trace

    sch = new_schedule(mod, workload_name)
    # the target is only checked there: a record without one (and no target asked) passes "llvm"
    schedule_using_anchor_trace(sch, record.trace, record.target or target or "llvm")
    return sch


_ANY = object()

#: Records of an anchor-block workload that query_schedule tries, best first, for one that fits.
ANCHOR_CANDIDATES = 16


def top_k_valid(records, top_k: int, target=None) -> list[TuningRecord]:
    """The `top_k` valid records with the lowest mean run time (ties keep commit order),
    restricted to `target` unless it is None; a record whose trace was re-measured after it
    gives way to that re-measurement (database/remeasurement.py)."""
    if top_k < 0:
        raise ValueError(f"top_k must be >= 0, got {top_k}")
    key = _ANY if target is None else target_key(target)
    valid = [r for r in records if r.is_valid() and (key is _ANY or r.target_key == key)]
    latest = latest_remeasurements((r.target_key, r.trace_text(), r.time) for r in valid if r.is_remeasurement)
    if latest:
        valid = [r for r in valid if not superseded(latest, r.target_key, r.trace_text(), r.time)]
    return heapq.nsmallest(top_k, valid, key=lambda r: r.mean_run_secs)


_SCOPE: contextvars.ContextVar = contextvars.ContextVar("raytune_ms_database_scope", default=())

class Database(_registry.Registry):
    """The abstract database. Stores implement the six storage methods; the queries, pruning
    and scoping are built on them. The kinds a tuning run can create by name ("parquet",
    "json", "memory") take `work_dir=`: where the stored ones keep their files."""

    # modules are imported on first use, so pyarrow loads only for the parquet store
    KINDS = {
        "json": "raytune_ms.database.json_database:JSONDatabase",
        "memory": "raytune_ms.database.memory_database:MemoryDatabase",
        "union": "raytune_ms.database.union_database:UnionDatabase",
        "ordered_union": "raytune_ms.database.ordered_union_database:OrderedUnionDatabase",
        "schedule_fn": "raytune_ms.database.schedule_fn_database:ScheduleFnDatabase",
        "parquet": "raytune_ms.database.parquet_database:ParquetDatabase",
    }
    KIND_NOUN = "database"
    #: whether a copy pickled into another process reads and writes the same store (so a task
    #: scheduler in a Ray actor can commit to it)
    shared_store = False

    # -- storage (implemented by each kind) --------------------------------------------------
    def has_workload(self, mod) -> bool:
        raise NotImplementedError

    def commit_workload(self, mod) -> Workload:
        """The stored workload equal to `mod`, committing it first if missing."""
        raise NotImplementedError

    def commit_tuning_record(self, record: TuningRecord) -> None:
        raise NotImplementedError

    def get_top_k(self, workload: Workload, top_k: int, *, target=None) -> list[TuningRecord]:
        """The `top_k` valid records of `workload` by mean run time; only those measured on
        `target` when it is given."""
        raise NotImplementedError

    def get_all_tuning_records(self) -> list[TuningRecord]:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    def flush(self) -> None:
        """Make every committed record durable (stores that buffer writes override this)."""

    # -- queries -----------------------------------------------------------------------------
    def _find_workload(self, mod) -> Workload | None:
        return self.commit_workload(mod) if self.has_workload(mod) else None

    def _top_k_for(self, workload: Workload, top_k: int, target) -> list[TuningRecord]:
        return self.get_top_k(workload, top_k, target=target)

    def _query_candidates(self, mod, target) -> list[TuningRecord]:
        """The records query_schedule tries, best first."""
        return self._top_k_for(self._find_workload(_as_module(mod)), ANCHOR_CANDIDATES, target)

    def query_tuning_record(self, mod, target, workload_name: str = "main") -> TuningRecord | None:
        """The best valid record of `mod` measured on `target` (any target if None)."""
        workload = self._find_workload(_as_module(mod))
        if workload is None:
            return None
        best = self._top_k_for(workload, 1, target)
        return best[0] if best else None

    def query_schedule(self, mod, target, workload_name: str = "main"):
        """A Schedule of `mod` with the best record's trace replayed on it: the best, among the
        ANCHOR_CANDIDATES best, whose trace applies (see schedule_of). Under "anchor-block" a
        workload pools the records of several fused variants, and a variant's trace may not fit;
        under any equality a record from an older design space may no longer replay: it is
        passed over (with a warning naming it, where that is not the anchor-block routine), so
        an old store still compiles with its best record that does."""
        record = self.query_tuning_record(mod, target, workload_name)
        if record is None:
            return None
        ranked = self._query_candidates(mod, target) or [record]
        errors = []
        for candidate in ranked:
            try:
                sch = schedule_of(candidate, mod, target, workload_name)
            except ValueError as e:
                errors.append(f"record {candidate.record_id}: {e}")
                continue
            if errors and getattr(self, "module_equality", "structural") != "anchor-block":
                warnings.warn(f"query_schedule: passed over {len(errors)} better record(s) whose trace does "
                              f"not apply to this program: {'; '.join(errors)}", stacklevel=2)
            return sch
        raise ValueError(f"query_schedule: none of the {len(ranked)} best records of workload "
                         f"{ranked[0].workload.shash} fits this program: {errors[0]}")

    def query_ir_module(self, mod, target, workload_name: str = "main") -> tir.IRModule | None:
        sch = self.query_schedule(mod, target, workload_name)
        return None if sch is None else sch.mod

    def query(self, mod, target, *, workload_name: str = "main", kind: str = "schedule"):
        """The best outcome for `mod` on `target` as a "schedule", "record" or "ir_module"."""
        if kind == "schedule":
            return self.query_schedule(mod, target, workload_name)
        if kind == "record":
            return self.query_tuning_record(mod, target, workload_name)
        if kind == "ir_module":
            return self.query_ir_module(mod, target, workload_name)
        raise ValueError(f"query kind must be 'schedule', 'record' or 'ir_module', got {kind!r}")

    def dump_pruned(self, destination: Database) -> None:
        """Commit the best valid record of each (workload, target) pair into `destination`
        (ranked as get_top_k ranks: re-measurements stand for what they re-timed)."""
        groups: dict[tuple, list] = {}
        for rec in self.get_all_tuning_records():
            if rec.is_valid():
                groups.setdefault((rec.workload.shash, rec.target_key), []).append(rec)
        for recs in groups.values():
            rec = top_k_valid(recs, 1)[0]
            workload = destination.commit_workload(rec.workload.mod)
            destination.commit_tuning_record(rec.with_workload(workload))

    # -- scope -------------------------------------------------------------------------------
    def __enter__(self):
        _SCOPE.set(_SCOPE.get() + (self,))
        return self

    def __exit__(self, *exc):
        stack = _SCOPE.get()
        if not stack or stack[-1] is not self:
            raise RuntimeError("database scopes must be exited in the reverse order of entering")
        _SCOPE.set(stack[:-1])

    @staticmethod
    def current() -> Database | None:
        """The innermost database entered with `with db:` in this thread/context."""
        stack = _SCOPE.get()
        return stack[-1] if stack else None

    @staticmethod
    def create(kind="json", *args, **kwargs) -> Database:
        """A database of a registered kind: "json", "memory", "union", "ordered_union",
        "schedule_fn" (also "schedule-fn"), "parquet"; a schedule function (-> schedule_fn);
        or `kind` itself if it is a Database."""
        if callable(kind) and not isinstance(kind, Database):
            return Database._create_kind("schedule_fn", kind, *args, **kwargs)
        if isinstance(kind, str) and kind.replace("-", "_") in Database.KINDS:
            kind = kind.replace("-", "_")
        return Database._create_kind(kind, *args, **kwargs)


class PyDatabase(Database):
    """The base for user databases written in Python (decorate them with `derived_object`).

    Override has_workload, commit_workload, commit_tuning_record, get_top_k(workload, top_k),
    get_all_tuning_records and __len__; the queries then work, filtered by target here.
    """

    def _top_k_for(self, workload, top_k, target):
        ranked = self.get_top_k(workload, max(len(self), top_k))
        key = None if target is None else target_key(target)
        return [r for r in ranked if key is None or r.target_key == key][:top_k]

    def query_tuning_record(self, mod, target, workload_name: str | None = None):
        return super().query_tuning_record(mod, target, workload_name or "main")

    def query_schedule(self, mod, target, workload_name: str | None = None):
        return super().query_schedule(mod, target, workload_name or "main")
