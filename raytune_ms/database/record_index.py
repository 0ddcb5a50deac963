"""The parquet store's in-memory index of records: a few numbers per record, not the records.

Per source file (a Parquet part or a record log) it keeps the record ids and, per record, the
workload and target (as small integer codes), the mean run time (infinity when invalid) and the
commit time, with each (workload, target) group's valid rows sorted by (mean, time). A top-k
query merges the sorted groups of all sources and touches only the rows it returns, so a query
over a million records costs about what one over a thousand does; the store reads the traces of
the rows it returns from the files.

Sources replace each other by what they cover: every part names the units (logs, or parts
without that metadata) whose records it holds. A source covering all of another's units
replaces it (a merge was committed); a source whose units an existing source covers is
redundant (a part listed after its merge). Sources that overlap only partly both stay; queries
and counts deduplicate by record id, so no race between mergers shows a record twice.
"""

from __future__ import annotations

import heapq
import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .database import FAILED_RUN_SECS
from .remeasurement import REMEASURE_PREFIX

#: The columns the index reads from a part (never the traces).
SUMMARY_COLUMNS = ["record_id", "workload", "target", "run_secs", "error", "time"]


class Codes:
    """Small integer codes for strings (None included), shared by all sources."""

    def __init__(self):
        self._code: dict = {}

    def get(self, value) -> int | None:
        return self._code.get(value)

    def code(self, value) -> int:
        c = self._code.get(value)
        if c is None:
            c = self._code[value] = len(self._code)
        return c

    def encode(self, column) -> np.ndarray:
        enc = pc.dictionary_encode(column).combine_chunks()
        lookup = np.array([self.code(v) for v in enc.dictionary.to_pylist()] + [self.code(None)], np.int32)
        idx = pc.fill_null(enc.indices, len(enc.dictionary)).to_numpy(zero_copy_only=False)
        return lookup[idx]


def mean_run_secs(run_secs, error) -> np.ndarray:
    """Per row, the mean run time of a valid record (as TuningRecord.mean_run_secs) or inf."""
    rs = run_secs.combine_chunks() if isinstance(run_secs, pa.ChunkedArray) else run_secs
    n = len(rs)
    lengths = pc.fill_null(pc.list_value_length(rs), 0).to_numpy(zero_copy_only=False)
    values = pc.list_flatten(rs).to_numpy(zero_copy_only=False).astype(np.float64)
    parents = pc.list_parent_indices(rs).to_numpy(zero_copy_only=False)
    sums = np.bincount(parents, weights=values, minlength=n)
    bad = ~np.isfinite(values) | (values < 0) | (values >= FAILED_RUN_SECS)
    bad_rows = np.bincount(parents, weights=bad, minlength=n) > 0
    failed = pc.is_valid(error).to_numpy(zero_copy_only=False)
    valid = (lengths > 0) & ~bad_rows & ~failed
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(valid, sums / np.maximum(lengths, 1), np.inf)


def _row_mean(run_secs, error) -> float:
    if error is not None or not run_secs:
        return math.inf
    if not all(s is not None and math.isfinite(s) and 0.0 <= s < FAILED_RUN_SECS for s in run_secs):
        return math.inf
    return sum(run_secs) / len(run_secs)


class Source:
    """The index of one file. A part's rows live in the file (`rows` is None); a log's rows
    are few and kept (`rows`), so its records need no second read."""

    def __init__(self, name: str, covers, kind: str, exact: bool = True):
        self.name, self.covers, self.kind, self.exact = name, frozenset(covers), kind, exact
        self.order = 0
        self.bad: set = set()  # rows whose trace does not parse
        self.rows: list | None = [] if kind == "log" else None
        self.record_id = None
        self.workload = self.target = self.mean = self.time = np.zeros(0)
        self._groups: dict | None = {}
        self.num_rows = 0
        self.handle = None  # the store's open file, for parts
        self._remeasured = None  # per row: whether it is a re-measurement (computed on first use)

    @classmethod
    def from_table(cls, name, covers, table: pa.Table, workloads: Codes, targets: Codes, exact=True):
        src = cls(name, covers, "part", exact)
        src.num_rows = table.num_rows
        src.record_id = table.column("record_id").combine_chunks()
        src.workload = workloads.encode(table.column("workload"))
        src.target = targets.encode(table.column("target"))
        src.mean = mean_run_secs(table.column("run_secs"), table.column("error"))
        src.time = pc.fill_null(table.column("time").cast(pa.int64()), 0).to_numpy(zero_copy_only=False)
        src._groups = None
        return src

    def append(self, rows: list[tuple], workloads: Codes, targets: Codes) -> None:
        """Add log rows (RECORD_SCHEMA order, time in microseconds)."""
        if not rows:
            return
        self.rows.extend(rows)
        n = len(self.rows)
        self.workload = np.concatenate([self.workload, [workloads.code(r[1]) for r in rows]]).astype(np.int32)
        self.target = np.concatenate([self.target, [targets.code(r[4]) for r in rows]]).astype(np.int32)
        self.mean = np.concatenate([self.mean, [_row_mean(r[3], r[6]) for r in rows]])
        self.time = np.concatenate([self.time, [r[9] or 0 for r in rows]]).astype(np.int64)
        self.num_rows = n
        self._groups = None

    def record_ids(self) -> pa.Array:
        if self.rows is not None:
            return pa.array([r[0] for r in self.rows], pa.string())
        return self.record_id

    def remeasured(self, workload: int) -> np.ndarray:
        """The valid re-measurement rows of `workload`."""
        if self._remeasured is None or len(self._remeasured) != self.num_rows:
            marked = pc.starts_with(self.record_ids(), REMEASURE_PREFIX)
            self._remeasured = pc.fill_null(marked, False).to_numpy(zero_copy_only=False)
        if not self._remeasured.any():
            return np.zeros(0, np.int64)
        return np.flatnonzero(self._remeasured & (self.workload == workload) & np.isfinite(self.mean))

    def groups(self) -> dict:
        """(workload code, target code) -> its valid rows, best first (ties: commit time, then
        position)."""
        if self._groups is None:
            n = self.num_rows
            order = np.lexsort((np.arange(n), self.time, self.mean, self.target, self.workload))
            valid = order[np.isfinite(self.mean[order])]
            groups = {}
            if len(valid):
                w, t = self.workload[valid], self.target[valid]
                cut = np.flatnonzero((w[1:] != w[:-1]) | (t[1:] != t[:-1])) + 1
                for start, stop in zip(np.r_[0, cut], np.r_[cut, len(valid)]):
                    groups[(int(w[start]), int(t[start]))] = valid[start:stop]
            self._groups = groups
        return self._groups

    def ranked(self, workload: int, targets):
        """(mean, time, order, row) of the valid rows of `workload` on `targets` (None: all),
        best first, produced lazily."""
        runs = [rows for (w, t), rows in self.groups().items() if w == workload and (targets is None or t in targets)]
        streams = [self._stream(rows) for rows in runs]
        return streams[0] if len(streams) == 1 else heapq.merge(*streams)

    def _stream(self, rows):
        pos, chunk = 0, 16
        while pos < len(rows):
            part = rows[pos:pos + chunk]
            yield from zip(self.mean[part].tolist(), self.time[part].tolist(), [self.order] * len(part),
                           part.tolist())
            pos, chunk = pos + chunk, chunk * 4


class RecordIndex:
    """The sources of a store, with replacement by coverage (see the module docstring)."""

    def __init__(self):
        self.sources: dict[str, Source] = {}
        self.workloads, self.targets = Codes(), Codes()
        self._covering: dict[str, str] = {}  # unit -> name of an active source covering it
        self._orders = 0
        self.version = 0
        self._count = None

    def covered(self, covers, kind: str = "part") -> bool:
        """Whether one active source covers all of `covers` (for a part: one other than a log,
        since a part replaces the log it was folded from)."""
        names = {self._covering.get(u) for u in covers}
        if len(names) != 1 or None in names:
            return False
        src = self.sources[names.pop()]
        return not (kind == "part" and src.kind == "log") and frozenset(covers) <= src.covers

    def add(self, src: Source) -> bool:
        """Add `src`, dropping the sources it covers; False (nothing added) if it is redundant."""
        if self.covered(src.covers, src.kind):
            return False
        for name in {self._covering[u] for u in src.covers if u in self._covering}:
            if self.sources[name].covers <= src.covers:
                self.remove(name)
        self._orders += 1
        src.order = self._orders
        self.sources[src.name] = src
        for u in src.covers:
            self._covering[u] = src.name
        self.changed()
        return True

    def remove(self, name: str) -> None:
        src = self.sources.pop(name, None)
        if src is None:
            return
        for u in src.covers:
            if self._covering.get(u) == name:
                del self._covering[u]
                other = next((s for s in self.sources.values() if u in s.covers), None)
                if other is not None:
                    self._covering[u] = other.name
        self.changed()

    def changed(self) -> None:
        self.version += 1
        self._count = None

    def by_order(self, order: int) -> Source:
        return next(s for s in self.sources.values() if s.order == order)

    def ranked(self, shash: str, target):
        """(source, row) of `shash`'s valid records on `target` (a target key; None: any), best
        first; rows of several sources with one record id all appear (callers dedupe)."""
        w = self.workloads.get(shash)
        if w is None:
            return
        if target is None:
            targets = None
        else:
            t = self.targets.get(target)
            if t is None:
                return
            targets = {t}
        by_order = {s.order: s for s in self.sources.values()}
        streams = [s.ranked(w, targets) for s in by_order.values()]
        for _, _, order, row in heapq.merge(*streams):
            yield by_order[order], row

    def remeasured(self, shash: str):
        """(source, row) of `shash`'s valid re-measurement records, on any target."""
        w = self.workloads.get(shash)
        if w is None:
            return []
        return [(s, int(row)) for s in self.sources.values() if s.num_rows for row in s.remeasured(w)]

    def count(self, known_shashes) -> int:
        """Distinct record ids among records whose workload is known."""
        key = (self.version, len(known_shashes))
        if self._count is not None and self._count[0] == key:
            return self._count[1]
        codes = np.array([c for s in known_shashes if (c := self.workloads.get(s)) is not None], np.int32)
        ids = [s.record_ids().filter(pa.array(np.isin(s.workload, codes)))
               for s in self.sources.values() if s.num_rows]
        n = 0
        if ids:
            n = pc.count_distinct(pa.chunked_array(ids, pa.string())).as_py()
        self._count = (key, n)
        return n

    def contains(self, record_id: str) -> bool:
        return any(pc.any(pc.equal(s.record_ids(), record_id)).as_py() for s in self.sources.values()
                   if s.num_rows)
