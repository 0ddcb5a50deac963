"""The default tuning store: append-only Parquet part files that many writers share.

Layout of a store at PATH (a local directory or any pyarrow.fs URI: s3://, gs://, hdfs://, file://)::

    PATH/workloads/part-<writer>-<seq>.parquet   shash: string, ir_json: string
    PATH/records/part-<writer>-<seq>.parquet     record_id: string      (unique per record)
                                                 workload: string       (the workload's shash)
                                                 trace_json: string     ([instructions, decisions])
                                                 run_secs: list<double> (null if not run)
                                                 target: string         (canonical Target string)
                                                 args_info: string      (JSON list of ArgInfo)
                                                 error: string          (null when it ran fine)
                                                 task_name, node: string
                                                 time: timestamp[us, UTC] (commit time by default)

Each writer (one ParquetDatabase object in one process; writer id = random + hostname + pid)
writes new part files only: a part is written under a hidden temporary name (".tmp-...") in the
same directory and renamed into place, so a reader never sees half a file (object stores, whose
uploads are atomic already, are written in place). No file is ever modified, so several
processes on several nodes can commit into one store at once. Readers list the part files and
read the ones they have not read yet; records are deduplicated by record_id and workloads by
hash + structural equality, so a part seen twice (e.g. during a compaction) does no harm.

Durability: `commit_tuning_record` appends to an in-memory buffer that is visible to this
object's queries at once and is written as one part file after `flush_every` records (default 1:
each record is on disk when commit returns, which costs about a millisecond against a
measurement's tens), after `flush_interval_s` seconds (by a background timer), on `flush()`,
on `close()`, on leaving `with db:`, and at interpreter exit. A crash loses at most the buffer;
bulk writers raise `flush_every` and call `compact()` afterwards.

`compact()` merges every part it lists into one file, commits it, then deletes only the parts it
merged; parts written meanwhile are untouched, readers dedupe the overlap. It also removes
temporary files that crashed writers left (older than an hour).

For analysis, any Arrow tool reads the store directly (files starting with "." are ignored)::

    pyarrow.dataset.dataset("PATH/records", format="parquet").to_table().to_pandas()
    pandas.read_parquet("PATH/records")
    duckdb.sql("SELECT workload, min(list_avg(run_secs)) FROM 'PATH/records/*.parquet' GROUP BY 1")
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import socket
import threading
import time
import uuid
import weakref

import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from .database import TuningRecord, Workload, _json_text
from .memory_database import MemoryDatabase

logger = logging.getLogger(__name__)

WORKLOAD_SCHEMA = pa.schema([("shash", pa.string()), ("ir_json", pa.string())])
RECORD_SCHEMA = pa.schema([
    ("record_id", pa.string()),
    ("workload", pa.string()),
    ("trace_json", pa.string()),
    ("run_secs", pa.list_(pa.float64())),
    ("target", pa.string()),
    ("args_info", pa.string()),
    ("error", pa.string()),
    ("task_name", pa.string()),
    ("node", pa.string()),
    ("time", pa.timestamp("us", tz="UTC")),
])
SCHEMAS = {"workloads": WORKLOAD_SCHEMA, "records": RECORD_SCHEMA}
DEDUP_KEYS = {"workloads": ["shash", "ir_json"], "records": ["record_id"]}

#: Filesystems whose uploads become visible whole, so a rename would only add a copy.
ATOMIC_PUT_FILESYSTEMS = ("s3", "gcs")

#: A temporary part older than this was left by a writer that crashed; compaction removes it.
STALE_TMP_S = 3600.0


def resolve_path(path, filesystem=None) -> tuple[pafs.FileSystem, str]:
    """(filesystem, path inside it) for a local path or a URI."""
    path = os.fspath(path)
    if filesystem is not None:
        return filesystem, path
    if "://" in path:
        return pafs.FileSystem.from_uri(path)
    return pafs.LocalFileSystem(), os.path.abspath(path)


def _new_writer_id() -> str:
    host = re.sub(r"[^A-Za-z0-9.-]", "_", socket.gethostname())[:40]
    return f"{uuid.uuid4().hex[:12]}-{host}-{os.getpid()}"


def _column(table: pa.Table, name: str) -> list:
    col = table.column(name)
    if pa.types.is_timestamp(col.type):
        return [None if v is None else v / 1e6 for v in col.cast(pa.int64()).to_pylist()]
    return col.to_pylist()


def _records_table(records: list[TuningRecord]) -> pa.Table:
    def args(r):
        info = r.args_info_json()
        return None if info is None else _json_text(info)

    columns = {
        "record_id": [r.record_id for r in records],
        "workload": [r.workload.shash for r in records],
        "trace_json": [r.trace_text() for r in records],
        "run_secs": [r.run_secs for r in records],
        "target": [r.target_key for r in records],
        "args_info": [args(r) for r in records],
        "error": [r.error for r in records],
        "task_name": [r.task_name for r in records],
        "node": [r.node for r in records],
        "time": [None if r.time is None else round(r.time * 1e6) for r in records],
    }
    return pa.table([pa.array(columns[f.name], f.type) for f in RECORD_SCHEMA], schema=RECORD_SCHEMA)


_OPEN: "weakref.WeakSet[ParquetDatabase]" = weakref.WeakSet()


@atexit.register
def _flush_all_at_exit():
    for db in list(_OPEN):
        try:
            db.flush()
        except Exception as e:  # noqa: BLE001 - exit must go on; say what was lost
            logger.error("parquet database %s: %d buffered records not written at exit: %s",
                         db.uri, len(db._buffer), e)


def _restart_writers_in_child():
    """A forked child gets its own writer id, an empty buffer (the parent writes its own) and
    fresh locks (one held by a parent thread at the fork would never be released)."""
    for db in list(_OPEN):
        db._start_writer()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_restart_writers_in_child)


class ParquetDatabase(MemoryDatabase):
    """A shared, append-only store of Parquet part files (see the module docstring).

    path: a directory or pyarrow.fs URI (created if missing); default `work_dir/database`.
    flush_every: buffered records
    per part file. flush_interval_s: also flush this long after the first buffered record
    (None: only by count). reload_interval_s: reads list the store for new parts at most this
    often (0: on every read; raise it on object stores where listing is slow).
    """

    shared_store = True

    def __init__(self, path=None, *, work_dir: str | None = None, flush_every: int = 1, flush_interval_s: float | None = None,
                 reload_interval_s: float = 0.0, filesystem: pafs.FileSystem | None = None,
                 module_equality: str = "structural"):
        super().__init__(module_equality)
        if path is None:
            if work_dir is None:
                raise ValueError("ParquetDatabase needs a path or a work_dir")
            path = os.path.join(work_dir, "database")
        if int(flush_every) < 1:
            raise ValueError(f"flush_every must be >= 1, got {flush_every}")
        if flush_interval_s is not None and flush_interval_s <= 0:
            raise ValueError(f"flush_interval_s must be > 0 or None, got {flush_interval_s}")
        self.uri = os.fspath(path)
        self.flush_every = int(flush_every)
        self.flush_interval_s = flush_interval_s
        self.reload_interval_s = float(reload_interval_s)
        self._options = dict(flush_every=flush_every, flush_interval_s=flush_interval_s,
                             reload_interval_s=reload_interval_s, filesystem=filesystem,
                             module_equality=module_equality)
        self._fs, self._root = resolve_path(path, filesystem)
        for sub in SCHEMAS:
            self._fs.create_dir(self._dir(sub), recursive=True)
        self._atomic_put = self._fs.type_name in ATOMIC_PUT_FILESYSTEMS
        self._start_writer()
        self._seen_parts: dict[str, set] = {sub: set() for sub in SCHEMAS}
        self._seen_ids: set = set()
        self._orphans: list[tuple] = []
        self._last_listing = None
        _OPEN.add(self)

    def _start_writer(self):
        """Fresh writer state (at creation and in a forked child)."""
        self.writer_id = _new_writer_id()
        self._seq = 0
        self._lock = threading.RLock()
        self._buffer: list[TuningRecord] = []
        self._timer: threading.Timer | None = None

    def __reduce__(self):
        return (_reopen, (self.uri, self._options))

    def _dir(self, sub: str) -> str:
        return f"{self._root}/{sub}"

    # -- writing -----------------------------------------------------------------------------
    def _write_part(self, sub: str, table: pa.Table, mark_seen: bool = True) -> str:
        self._seq += 1
        name = f"part-{self.writer_id}-{self._seq:06d}.parquet"
        final = f"{self._dir(sub)}/{name}"
        if self._atomic_put:
            pq.write_table(table, final, filesystem=self._fs)
        else:
            tmp = f"{self._dir(sub)}/.tmp-{name}"
            pq.write_table(table, tmp, filesystem=self._fs)
            self._fs.move(tmp, final)
        if mark_seen:
            self._seen_parts[sub].add(name)
        return name

    def _write_workload(self, workload: Workload) -> None:
        table = pa.table({"shash": [workload.shash], "ir_json": [workload.ir_text()]}, schema=WORKLOAD_SCHEMA)
        self._write_part("workloads", table)

    def _store_workload(self, workload: Workload) -> Workload:
        stored, new = self._index_workload(workload)
        if new:
            self._write_workload(stored)
        return stored

    def commit_workload(self, mod) -> Workload:
        with self._lock:
            self._refresh()
            return self._store_workload(Workload(mod))

    def commit_tuning_record(self, record: TuningRecord) -> None:
        """Buffer the record (visible to this object's queries at once); write it after
        `flush_every` records or `flush_interval_s` seconds."""
        with self._lock:
            workload = self._store_workload(record.workload)
            record = record.with_workload(workload)
            record.record_id = record.record_id or uuid.uuid4().hex
            if record.time is None:
                record.time = time.time()
            if record.record_id in self._seen_ids:
                return
            record.trace_text()  # fail here, not at flush, if the trace cannot serialise
            self._seen_ids.add(record.record_id)
            self._index_record(record)
            self._buffer.append(record)
            if len(self._buffer) >= self.flush_every:
                self.flush()
            elif self.flush_interval_s is not None and self._timer is None:
                self._timer = threading.Timer(self.flush_interval_s, self._timed_flush)
                self._timer.daemon = True
                self._timer.start()

    def _timed_flush(self):
        try:
            self.flush()
        except Exception as e:  # noqa: BLE001 - a background thread must not die silently
            logger.error("parquet database %s: timed flush failed (will retry on the next "
                         "commit/flush): %s", self.uri, e)

    def flush(self) -> None:
        """Write the buffered records as one part file."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._buffer:
                self._write_part("records", _records_table(self._buffer))
                self._buffer = []

    def close(self) -> None:
        """Write the buffer. The object stays usable; closing is flushing for a store that
        holds no open files."""
        self.flush()

    def __exit__(self, *exc):
        super().__exit__(*exc)
        self.flush()

    # -- reading -----------------------------------------------------------------------------
    def _list_parts(self, sub: str) -> list[str]:
        infos = self._fs.get_file_info(pafs.FileSelector(self._dir(sub), allow_not_found=True))
        names = (i.base_name for i in infos if i.type == pafs.FileType.File)
        return sorted(n for n in names if n.startswith("part-") and n.endswith(".parquet"))

    def _read_parts(self, sub: str, names: list[str]) -> tuple[list[pa.Table], list[str], bool]:
        """(tables, names read, whether some part vanished). Vanished parts were merged by a
        compaction; unreadable ones are logged and skipped for good."""
        if not names:
            return [], [], False
        paths = [f"{self._dir(sub)}/{n}" for n in names]
        try:
            dataset = pads.dataset(paths, schema=SCHEMAS[sub], format="parquet", filesystem=self._fs)
            return [dataset.to_table()], list(names), False
        except (OSError, pa.ArrowException):
            pass
        tables, read, vanished = [], [], False
        for name, path in zip(names, paths):
            try:
                tables.append(pq.read_table(path, filesystem=self._fs, schema=SCHEMAS[sub]))
                read.append(name)
            except FileNotFoundError:
                vanished = True
            except (OSError, pa.ArrowException) as e:
                logger.warning("parquet database %s: skipping unreadable part %s: %s", self.uri, path, e)
                read.append(name)
        return tables, read, vanished

    def _refresh(self, force: bool = False) -> None:
        """Read the parts committed since the last listing (records are listed before
        workloads: a writer commits a workload's part before any record that needs it)."""
        now = time.monotonic()
        if not force and self._last_listing is not None and now - self._last_listing < self.reload_interval_s:
            return
        self._last_listing = now
        for _ in range(3):
            new_records = [n for n in self._list_parts("records") if n not in self._seen_parts["records"]]
            new_workloads = [n for n in self._list_parts("workloads") if n not in self._seen_parts["workloads"]]
            w_tables, w_read, w_gone = self._read_parts("workloads", new_workloads)
            for table in w_tables:
                for shash, ir in zip(table.column("shash").to_pylist(), table.column("ir_json").to_pylist()):
                    self._index_workload(Workload.from_stored(shash, ir))
            r_tables, r_read, r_gone = self._read_parts("records", new_records)
            rows = self._orphans
            self._orphans = []
            for table in r_tables:
                rows.extend(zip(*(_column(table, f.name) for f in RECORD_SCHEMA)))
            self._add_rows(rows)
            self._seen_parts["workloads"].update(w_read)
            self._seen_parts["records"].update(r_read)
            if not (w_gone or r_gone):
                break

    def _add_rows(self, rows) -> None:
        for rid, shash, trace, run_secs, target, args, error, task, node, when in rows:
            if rid in self._seen_ids:
                continue
            candidates = self._workloads.by_hash(shash)
            if not candidates:
                self._orphans.append((rid, shash, trace, run_secs, target, args, error, task, node, when))
                continue
            self._seen_ids.add(rid)
            self._index_record(TuningRecord.from_stored(
                candidates[0], trace, run_secs, target, args, error, task, node, when, rid))

    def reload(self) -> None:
        """Read the parts other writers committed since the last read, now."""
        with self._lock:
            self._refresh(force=True)

    def has_workload(self, mod) -> bool:
        with self._lock:
            self._refresh()
            return super().has_workload(mod)

    def _find_workload(self, mod):
        with self._lock:
            self._refresh()
            return super()._find_workload(mod)

    def get_top_k(self, workload: Workload, top_k: int, *, target=None) -> list[TuningRecord]:
        with self._lock:
            self._refresh()
            return super().get_top_k(workload, top_k, target=target)

    def get_all_tuning_records(self) -> list[TuningRecord]:
        with self._lock:
            self._refresh()
            return super().get_all_tuning_records()

    def workloads(self) -> list[Workload]:
        with self._lock:
            self._refresh()
            return super().workloads()

    def __len__(self) -> int:
        with self._lock:
            self._refresh()
            return super().__len__()

    # -- maintenance -------------------------------------------------------------------------
    def compact(self) -> dict:
        """Merge all part files into one per table. Safe while others write: only the parts
        merged (listed before the merge) are deleted, after the merged file is committed.
        Returns the number of parts merged and rows kept per table."""
        stats = {}
        with self._lock:
            self.flush()
            for sub in SCHEMAS:
                self._remove_stale_tmp(sub)
                tables, merged, _ = self._read_parts(sub, self._list_parts(sub))
                if len(merged) < 2:
                    stats[sub] = {"parts_merged": 0, "rows": sum(t.num_rows for t in tables)}
                    continue
                table = pa.concat_tables(tables) if tables else SCHEMAS[sub].empty_table()
                seen, keep = set(), []
                keys = list(zip(*(table.column(k).to_pylist() for k in DEDUP_KEYS[sub])))
                for i, key in enumerate(keys):
                    if key not in seen:
                        seen.add(key)
                        keep.append(i)
                # not marked as read: it may hold parts this object has not read yet
                self._write_part(sub, table.take(keep), mark_seen=False)
                for name in merged:
                    try:
                        self._fs.delete_file(f"{self._dir(sub)}/{name}")
                    except FileNotFoundError:
                        pass  # a concurrent compaction merged and deleted it first
                stats[sub] = {"parts_merged": len(merged), "rows": len(keep)}
        return stats

    def _remove_stale_tmp(self, sub: str) -> None:
        infos = self._fs.get_file_info(pafs.FileSelector(self._dir(sub), allow_not_found=True))
        now = time.time()
        for info in infos:
            if info.base_name.startswith(".tmp-") and info.mtime is not None \
                    and now - info.mtime.timestamp() > STALE_TMP_S:
                try:
                    self._fs.delete_file(info.path)
                except FileNotFoundError:
                    pass

    def export_json(self, work_dir: str):
        """Write every workload and record into a JSON database at `work_dir`."""
        from .json_database import JSONDatabase

        out = JSONDatabase(work_dir=work_dir)
        with self._lock:
            self._refresh(force=True)
            for workload in super().workloads():
                out.commit_workload(workload.mod)
            for record in super().get_all_tuning_records():
                out.commit_tuning_record(record)
        return out

    def __repr__(self):
        return f"ParquetDatabase({self.uri!r})"


def _reopen(uri, options) -> ParquetDatabase:
    return ParquetDatabase(uri, **options)
