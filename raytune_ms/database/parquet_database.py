"""The default tuning store: append-only record logs and Parquet part files that many writers
share, indexed so that a store of millions of records opens in seconds.

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
    PATH/records/_log-<writer>-<n>.jsonl         the same columns, one JSON line per record

Each writer (one ParquetDatabase object in one process; writer id = random + hostname + pid)
appends its records to its own log (`record_log`): a commit is one small write, on disk when
commit returns (`flush_every=1`, the default), so it survives kill -9. Once a log holds
`log_rows` records, and when the writer closes (also at exit), the writer folds it into a part
file and deletes it. Parts are written under a hidden temporary name (".tmp-...") and renamed
into place, so a reader never sees half a file (object stores, whose uploads are atomic, are
written in place; they cannot append, so there each flush writes a part). No file is modified
after it is complete, so processes on several nodes can commit into one store at once.

Parts are merged in the background by the writers (eight parts of about the same size into
one, so a store keeps a few dozen parts) and all at once by `compact()`. A part names what it
holds in its metadata (`raytune_ms.covers`: the logs and older parts merged into it), so a
reader replaces the sources it had read by the merged part; records are also deduplicated by
record_id, and workloads by hash + structural equality, so no race shows a record twice.

Readers keep an index of a few numbers per record (`record_index`) and read the traces only of
the records a query returns: opening reads six small columns, never the traces. A part that
cannot be read is skipped with a warning naming it (and retried on `reload()`); a record whose
trace is not valid JSON is skipped with a warning naming its file and record id. Compaction
deletes only files whose rows it wrote out; an unreadable part is left in place and reported.

Durability: a record is on disk when commit returns with `flush_every=1`. With a larger
`flush_every` (bulk writers) the buffer is written after that many records, after
`flush_interval_s` seconds (by a background timer), on `flush()`, `close()`, leaving `with db:`,
at interpreter exit and on SIGTERM (`exit_flush`). A crash (kill -9) loses at most the buffer.

For analysis, any Arrow tool reads the parts directly (names starting with "." or "_" are
ignored, so this misses records still in logs: run `compact()` first for everything)::

    pyarrow.dataset.dataset("PATH/records", format="parquet").to_table().to_pandas()
    pandas.read_parquet("PATH/records")
    duckdb.sql("SELECT workload, min(list_avg(run_secs)) FROM 'PATH/records/*.parquet' GROUP BY 1")
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import math
import os
import re
import socket
import threading
import time
import uuid

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from . import exit_flush, record_log
from .database import (
    Database,
    TuningRecord,
    Workload,
    WorkloadTable,
    _as_module,
    _json_text,
    target_key,
    top_k_valid,
)
from .module_equality import check_module_equality
from .record_index import SUMMARY_COLUMNS, RecordIndex, Source, mean_run_secs
from .remeasurement import latest_remeasurements, superseded

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

#: The part metadata key listing the units (logs, older parts) a part holds.
COVERS_KEY = b"raytune_ms.covers"

#: Filesystems whose uploads become visible whole, so a rename would only add a copy.
ATOMIC_PUT_FILESYSTEMS = ("s3", "gcs")

#: A temporary part (or an unlocked log) older than this was left by a writer that crashed.
STALE_TMP_S = 3600.0

#: Rows per Parquet row group: a query reads one group per record it returns.
ROW_GROUP_ROWS = 1024


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


def _rows_table(rows: list[tuple]) -> pa.Table:
    """Record rows (RECORD_SCHEMA order, time in microseconds) as a table."""
    columns = list(zip(*rows)) if rows else [[] for _ in RECORD_SCHEMA]
    return pa.table([pa.array(list(c), f.type) for c, f in zip(columns, RECORD_SCHEMA)], schema=RECORD_SCHEMA)


def _table_rows(table: pa.Table) -> list[tuple]:
    """The inverse of `_rows_table`."""
    cols = [table.column(f.name) for f in RECORD_SCHEMA]
    cols[-1] = cols[-1].cast(pa.int64())
    return list(zip(*(c.to_pylist() for c in cols)))


def _record_row(record: TuningRecord, workload: Workload, record_id: str, when: float) -> tuple:
    info = record.args_info_json()
    return (record_id, workload.shash, record.trace_text(), record.run_secs, record.target_key,
            None if info is None else _json_text(info), record.error, record.task_name, record.node,
            round(when * 1e6))


def _sorted_deduped(table: pa.Table) -> pa.Table:
    """Rows with a new record id, grouped by workload and target, best first: a query for
    one workload then reads few row groups."""
    ids = table.column("record_id").combine_chunks()
    first = pa.table({"id": ids, "i": np.arange(len(ids))}).group_by("id").aggregate([("i", "min")])
    keep = np.sort(first.column("i_min").to_numpy())
    table = table.take(keep)
    mean = mean_run_secs(table.column("run_secs"), table.column("error"))
    time_us = pc.fill_null(table.column("time").cast(pa.int64()), 0).to_numpy(zero_copy_only=False)
    codes = [pc.fill_null(pc.dictionary_encode(table.column(c)).combine_chunks().indices, -1).to_numpy(
        zero_copy_only=False) for c in ("target", "workload")]
    order = np.lexsort((np.arange(table.num_rows), time_us, mean, *codes))
    return table.take(order)


def _covers_of(name: str, schema: pa.Schema) -> tuple[frozenset, bool]:
    """(units, whether the part is ours): a part without the metadata covers just itself."""
    meta = schema.metadata or {}
    if COVERS_KEY in meta:
        return frozenset(json.loads(meta[COVERS_KEY])), True
    return frozenset([name]), False


def _is_part(name: str) -> bool:
    return name.startswith("part-") and name.endswith(".parquet")


def _level(rows: int, fanout: int) -> int:
    return int(math.log(max(rows, 1), fanout))


class ParquetDatabase(Database):
    """A shared, append-only store of record logs and Parquet parts (see the module docstring).

    path: a directory or pyarrow.fs URI (created if missing); default `work_dir/database`.
    flush_every: buffered records per write. flush_interval_s: also flush this long after the
    first buffered record (None: only by count). reload_interval_s: reads list the store for new
    files at most this often (0: on every read; raise it on object stores where listing is
    slow). log_rows: records per log before it becomes a part. merge_fanout: this many parts of
    one size are merged into one in the background (0: never; `compact()` still merges).
    create: make the store's directories when missing (False: a reader that writes nothing,
    such as the read-only `db` commands).
    """

    shared_store = True

    def __init__(self, path=None, *, work_dir: str | None = None, flush_every: int = 1,
                 flush_interval_s: float | None = None, reload_interval_s: float = 0.0,
                 filesystem: pafs.FileSystem | None = None, module_equality: str = "structural",
                 log_rows: int = 4096, merge_fanout: int = 8, create: bool = True):
        self.module_equality = check_module_equality(module_equality)
        if path is None:
            if work_dir is None:
                raise ValueError("ParquetDatabase needs a path or a work_dir")
            path = os.path.join(work_dir, "database")
        if int(flush_every) < 1:
            raise ValueError(f"flush_every must be >= 1, got {flush_every}")
        if flush_interval_s is not None and flush_interval_s <= 0:
            raise ValueError(f"flush_interval_s must be > 0 or None, got {flush_interval_s}")
        if int(log_rows) < 1:
            raise ValueError(f"log_rows must be >= 1, got {log_rows}")
        if merge_fanout and int(merge_fanout) < 2:
            raise ValueError(f"merge_fanout must be 0 (never merge) or >= 2, got {merge_fanout}")
        self.uri = os.fspath(path)
        self.flush_every = int(flush_every)
        self.flush_interval_s = flush_interval_s
        self.reload_interval_s = float(reload_interval_s)
        self.log_rows = int(log_rows)
        self.merge_fanout = int(merge_fanout)
        self._options = dict(flush_every=flush_every, flush_interval_s=flush_interval_s,
                             reload_interval_s=reload_interval_s, filesystem=filesystem,
                             module_equality=module_equality, log_rows=log_rows, merge_fanout=merge_fanout,
                             create=create)
        self._fs, self._root = resolve_path(path, filesystem)
        if create:
            for sub in SCHEMAS:
                self._fs.create_dir(self._dir(sub), recursive=True)
        self._atomic_put = self._fs.type_name in ATOMIC_PUT_FILESYSTEMS
        self._local = isinstance(self._fs, pafs.LocalFileSystem)
        self._start_writer()
        self._start_reader()
        exit_flush.register(self)

    def _start_writer(self):
        """Fresh writer state (at creation and in a forked child)."""
        self.writer_id = _new_writer_id()
        self._seq = 0
        self._lock = threading.RLock()
        self._buffer: list[tuple] = []
        self._timer: threading.Timer | None = None
        self._appends = not self._atomic_put
        self._log_n = 0
        self._log: Source | None = None  # this writer's current log, as an index source
        self._log_file = None  # its open file: (os fd, lock fd) locally, else a pyarrow stream
        self._merging: threading.Thread | None = None

    def _start_reader(self):
        self._index = RecordIndex()
        self._workloads = WorkloadTable(self.module_equality)
        self._known: set[str] = set()
        self._seen: dict[str, set] = {sub: set() for sub in SCHEMAS}
        self._failed: dict[tuple, str] = {}
        self._log_offsets: dict[str, tuple[int, int]] = {}  # log -> (bytes read, lines read)
        self._warned: set = set()
        self._row_groups: collections.OrderedDict = collections.OrderedDict()
        self._last_listing = None

    def _after_fork(self):
        """A forked child gets its own writer id, an empty buffer (the parent writes its own),
        fresh locks (one held by a parent thread at the fork would never be released) and a
        fresh index (rows the parent had not written yet are not the child's)."""
        if isinstance(self._log_file, tuple):
            for fd in self._log_file:
                os.close(fd)  # the child's copies; the parent's descriptors keep the lock
        self._start_writer()
        self._start_reader()

    def __reduce__(self):
        return (_reopen, (self.uri, self._options))

    def _dir(self, sub: str) -> str:
        return f"{self._root}/{sub}"

    def _warn_once(self, key, msg, *args):
        if key not in self._warned:
            self._warned.add(key)
            logger.warning(msg, *args)

    # -- writing -----------------------------------------------------------------------------
    def _new_part_name(self) -> str:
        self._seq += 1
        return f"part-{self.writer_id}-{self._seq:06d}.parquet"

    def _write_part(self, sub: str, table: pa.Table, covers=None) -> str:
        name = self._new_part_name()
        if sub == "records":
            table = table.replace_schema_metadata({COVERS_KEY: json.dumps(sorted(covers or [name]))})
        with self._part_writer(sub, name, table.schema) as writer:
            writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
        self._seen[sub].add(name)
        return name

    @contextlib.contextmanager
    def _part_writer(self, sub: str, name: str, schema: pa.Schema):
        """A ParquetWriter whose file appears under `name` only once complete."""
        final = f"{self._dir(sub)}/{name}"
        path = final if self._atomic_put else f"{self._dir(sub)}/.tmp-{name}"
        writer = pq.ParquetWriter(path, schema, filesystem=self._fs)
        try:
            yield writer
        finally:
            writer.close()
        if path != final:
            self._fs.move(path, final)

    def _index_workload(self, workload: Workload, stored: bool = False) -> tuple[Workload, bool]:
        """The stored equal workload and whether `workload` was new. A `stored` one (read
        from the store) stays a member of its class, so that its records are found."""
        found = self._workloads.find(workload)
        if found is not None:
            if stored:
                self._workloads.add(workload, member=True)
                self._known.add(workload.shash)
            return found, False
        self._workloads.add(workload)
        self._known.add(workload.shash)
        return workload, True

    def _store_workload(self, workload: Workload) -> Workload:
        stored, new = self._index_workload(workload)
        if new:
            table = pa.table({"shash": [stored.shash], "ir_json": [stored.ir_text()]}, schema=WORKLOAD_SCHEMA)
            self._write_part("workloads", table)
        return stored

    def commit_workload(self, mod) -> Workload:
        with self._lock:
            self._refresh()
            return self._store_workload(Workload(mod))

    def commit_tuning_record(self, record: TuningRecord) -> None:
        """Log the record (visible to this object's queries at once); it is on disk when this
        returns with `flush_every=1`, else after `flush_every` records or `flush_interval_s`."""
        with self._lock:
            workload = self._store_workload(record.workload)
            if record.record_id is not None and self._index.contains(record.record_id):
                return  # committed before (a retried task, a record read back from this store)
            when = time.time() if record.time is None else record.time
            row = _record_row(record, workload, record.record_id or uuid.uuid4().hex, when)
            self._own_log().append([row], self._index.workloads, self._index.targets)
            self._index.changed()
            self._buffer.append(row)
            if len(self._buffer) >= self.flush_every:
                self.flush()
            elif self.flush_interval_s is not None and self._timer is None:
                self._timer = threading.Timer(self.flush_interval_s, self._timed_flush)
                self._timer.daemon = True
                self._timer.start()

    def _own_log(self) -> Source:
        if self._log is None:
            self._log_n += 1
            name = f"{record_log.PREFIX}{self.writer_id}-{self._log_n:04d}{record_log.SUFFIX}"
            self._log = Source(name, [name], "log")
            self._index.add(self._log)
        return self._log

    def _timed_flush(self):
        try:
            self.flush()
        except Exception as e:  # noqa: BLE001 - a background thread must not die silently
            logger.error("parquet database %s: timed flush failed (will retry on the next "
                         "commit/flush): %s", self.uri, e)

    def flush(self) -> None:
        """Write the buffered records (to this writer's log, or as a part on object stores)."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if not self._buffer:
                return
            if self._appends and self._append_to_log(b"".join(record_log.encode(r) for r in self._buffer)):
                self._buffer = []
                if self._log.num_rows >= self.log_rows:
                    self._seal()
            else:
                self._buffer = []
                self._seal()

    def _append_to_log(self, data: bytes) -> bool:
        """Append to this writer's log file; False where the filesystem cannot append."""
        path = f"{self._dir('records')}/{self._log.name}"
        if self._log_file is None:
            if self._local:
                self._log_file = record_log.create_locked(path)
            else:
                try:
                    self._log_file = self._fs.open_append_stream(path)
                except (NotImplementedError, pa.ArrowNotImplementedError) as e:
                    logger.info("parquet database %s: no appends on this filesystem (%s); "
                                "writing a part per flush", self.uri, e)
                    self._appends = False
                    return False
        if isinstance(self._log_file, tuple):
            view = memoryview(data)
            while view:
                view = view[os.write(self._log_file[0], view):]
        else:
            self._log_file.write(data)
            self._log_file.flush()
        return True

    def _seal(self) -> None:
        """Fold this writer's log into a part (covering it), then delete the log file."""
        log = self._log
        if log is None or not log.rows:
            return
        table = _sorted_deduped(_rows_table(log.rows))
        name = self._write_part("records", table, [log.name])
        self._index.add(self._part_source(name, frozenset([log.name]), table))
        self._log = None
        if self._log_file is not None:
            self._delete("records", log.name)  # still locked: no compactor takes it meanwhile
            if isinstance(self._log_file, tuple):
                os.close(self._log_file[0])
                record_log.unlock(self._log_file[1])
            else:
                self._log_file.close()
            self._log_file = None
        self._maybe_merge()

    def close(self) -> None:
        """Write the buffer and fold the log into a part. The object stays usable."""
        with self._lock:
            self.flush()
            self._seal()
        while True:  # a merge may start the next one; let the last finish (never half a file at exit)
            with self._lock:
                merging = self._merging
            if merging is None or not merging.is_alive():
                return
            merging.join()

    def __exit__(self, *exc):
        super().__exit__(*exc)
        self.flush()

    def _delete(self, sub: str, name: str) -> None:
        try:
            self._fs.delete_file(f"{self._dir(sub)}/{name}")
        except FileNotFoundError:
            pass  # a concurrent merge deleted it first

    # -- background merging ------------------------------------------------------------------
    def _maybe_merge(self) -> None:
        """Start merging `merge_fanout` parts of one size level, if there are that many."""
        if not self.merge_fanout or (self._merging is not None and self._merging.is_alive()):
            return
        levels = collections.defaultdict(list)
        for src in self._index.sources.values():
            if src.kind == "part":
                levels[_level(src.num_rows, self.merge_fanout)].append(src.name)
        batch = next((names for _, names in sorted(levels.items()) if len(names) >= self.merge_fanout), None)
        if batch:
            self._merging = threading.Thread(target=self._merge, args=(batch,), daemon=True,
                                             name="raytune_ms-parquet-merge")
            self._merging.start()

    def _merge(self, names: list[str]) -> None:
        """Concatenate `names` into one part, row group by row group (memory stays at a few row
        groups), then delete them. No deduplication or sorting: readers dedupe, and each input
        is sorted already, so a query still reads few row groups."""
        try:
            files = [pq.ParquetFile(self._fs.open_input_file(f"{self._dir('records')}/{n}")) for n in names]
            covers = set()
            for n, f in zip(names, files):
                covers |= _covers_of(n, f.schema_arrow)[0]
            with self._lock:
                name = self._new_part_name()
            schema = RECORD_SCHEMA.with_metadata({COVERS_KEY: json.dumps(sorted(covers))})
            with self._part_writer("records", name, schema) as writer:
                for f in files:
                    for group in range(f.num_row_groups):
                        writer.write_table(f.read_row_group(group, columns=RECORD_SCHEMA.names).cast(schema),
                                           row_group_size=ROW_GROUP_ROWS)
            with self._lock:
                self._seen["records"].add(name)
                self._index.add(self._read_summary(name))
            for old in names:
                self._delete("records", old)
        except FileNotFoundError:
            return  # another writer merged some of them first
        except Exception as e:  # noqa: BLE001 - merging is an optimisation; never lose the writer
            logger.warning("parquet database %s: background merge failed (the parts stay): %s", self.uri, e)
            return
        with self._lock:
            self._maybe_merge()

    # -- reading -----------------------------------------------------------------------------
    def _list(self, sub: str) -> list:
        infos = self._fs.get_file_info(pafs.FileSelector(self._dir(sub), allow_not_found=True))
        return sorted((i for i in infos if i.type == pafs.FileType.File), key=lambda i: i.base_name)

    def _part_source(self, name: str, covers, table: pa.Table, exact: bool = True) -> Source:
        src = Source.from_table(name, covers, table, self._index.workloads, self._index.targets, exact)
        src.row_group_ends = np.cumsum([min(ROW_GROUP_ROWS, table.num_rows - i)
                                        for i in range(0, table.num_rows, ROW_GROUP_ROWS)])
        return src

    def _read_full_part(self, name: str) -> tuple[pa.Table, frozenset]:
        with self._fs.open_input_file(f"{self._dir('records')}/{name}") as f:
            pf = pq.ParquetFile(f)
            covers, _ = _covers_of(name, pf.schema_arrow)
            return pf.read(columns=RECORD_SCHEMA.names).cast(RECORD_SCHEMA), covers

    def _read_summary(self, name: str) -> Source | None:
        """The index source of a part (None if a source read already covers it)."""
        with self._fs.open_input_file(f"{self._dir('records')}/{name}") as f:
            pf = pq.ParquetFile(f)
            covers, exact = _covers_of(name, pf.schema_arrow)
            if self._index.covered(covers):
                return None
            table = pf.read(columns=SUMMARY_COLUMNS)
            src = Source.from_table(name, covers, table, self._index.workloads, self._index.targets, exact)
            src.row_group_ends = np.cumsum([pf.metadata.row_group(i).num_rows
                                            for i in range(pf.metadata.num_row_groups)])
            return src

    def _read_workloads(self, name: str) -> None:
        table = pq.read_table(f"{self._dir('workloads')}/{name}", filesystem=self._fs, schema=WORKLOAD_SCHEMA)
        for shash, ir in zip(table.column("shash").to_pylist(), table.column("ir_json").to_pylist()):
            self._index_workload(Workload.from_stored(shash, ir), stored=True)

    def _try(self, sub: str, name: str, read, retry: bool):
        """`read(name)`; "gone" if the file vanished (merged away), None (warned once) if it
        cannot be read: a failed part is retried only on `reload()`."""
        key = (sub, name)
        if key in self._failed and not retry:
            return None
        try:
            out = read(name)
        except FileNotFoundError:
            return "gone"
        except (OSError, pa.ArrowException, ValueError) as e:
            if self._failed.get(key) != str(e):
                logger.warning("parquet database %s: skipping unreadable part %s/%s (retried on "
                               "reload()): %s", self.uri, sub, name, e)
            self._failed[key] = str(e)
            return None
        self._failed.pop(key, None)
        if out is not None or sub == "workloads":
            self._seen[sub].add(name)  # a part covered by another is looked at again: that one may go
        return out

    def _read_log(self, info) -> bool:
        """Read the new complete lines of another writer's log; False if it vanished."""
        name = info.base_name
        read, lines = self._log_offsets.get(name, (0, 0))
        if info.size is not None and info.size <= read:
            return True
        try:
            with self._fs.open_input_file(info.path) as f:
                f.seek(read)
                data = f.read()
        except FileNotFoundError:
            return False
        rows, used = record_log.decode(data, f"{self.uri}/records/{name}", lines + 1)
        self._log_offsets[name] = (read + used, lines + data[:used].count(b"\n"))
        src = self._index.sources.get(name)
        if src is None:
            src = Source(name, [name], "log")
            if not self._index.add(src):
                return True
        src.append(rows, self._index.workloads, self._index.targets)
        self._index.changed()
        return True

    def _refresh(self, force: bool = False) -> None:
        """Read what was committed since the last listing (records are listed before
        workloads: a writer commits a workload's part before any record that needs it)."""
        now = time.monotonic()
        if not force and self._last_listing is not None and now - self._last_listing < self.reload_interval_s:
            return
        self._last_listing = now
        for _ in range(3):
            gone = False
            records = self._list("records")
            for info in self._list("workloads"):
                name = info.base_name
                if _is_part(name) and name not in self._seen["workloads"]:
                    gone |= self._try("workloads", name, self._read_workloads, force) == "gone"
            for info in records:
                name = info.base_name
                if _is_part(name) and name not in self._seen["records"]:
                    src = self._try("records", name, self._read_summary, force)
                    gone |= src == "gone"
                    if isinstance(src, Source):
                        self._index.add(src)
            own = None if self._log is None else self._log.name
            for info in records:
                name = info.base_name
                if record_log.is_log(name) and name != own and not self._index.covered([name]) \
                        and not name.startswith(f"{record_log.PREFIX}{self.writer_id}-"):
                    gone |= not self._read_log(info)
            if not gone:
                break
        self._warn_orphans()

    def _warn_orphans(self) -> None:
        failed = [n for (sub, n) in self._failed if sub == "workloads"]
        if not failed:
            return
        counts = collections.Counter()
        codes = {c: s for s, c in self._index.workloads._code.items()}
        for src in self._index.sources.values():
            for code, n in zip(*np.unique(src.workload, return_counts=True)):
                shash = codes[int(code)]
                if shash not in self._known:
                    counts[shash] += int(n)
        for shash, n in counts.items():
            self._warn_once(("orphan", shash), "parquet database %s: %d records of workload %s are hidden: "
                            "its workload is in no readable part (unreadable: %s)", self.uri, n, shash,
                            ", ".join(f"workloads/{f}" for f in failed))

    def reload(self) -> None:
        """Read what other writers committed since the last read, now, and retry the parts
        that failed to read before."""
        with self._lock:
            self._refresh(force=True)

    def _row(self, src: Source, row: int) -> tuple:
        if src.rows is not None:
            return src.rows[row]
        group = int(np.searchsorted(src.row_group_ends, row, side="right"))
        key = (src.name, group)
        table = self._row_groups.get(key)
        if table is None:
            if src.handle is None:
                src.handle = pq.ParquetFile(self._fs.open_input_file(f"{self._dir('records')}/{src.name}"))
            table = src.handle.read_row_group(group, columns=RECORD_SCHEMA.names)
            self._row_groups[key] = table
            while len(self._row_groups) > 16:
                self._row_groups.popitem(last=False)
        start = 0 if group == 0 else int(src.row_group_ends[group - 1])
        return _table_rows(table.slice(row - start, 1))[0]

    def _trace_ok(self, src: Source, row: int, values: tuple) -> bool:
        try:
            trace = json.loads(values[2])
            if not (isinstance(trace, list) and len(trace) == 2):
                raise ValueError("not [instructions, decisions]")
        except (TypeError, ValueError) as e:
            src.bad.add(row)
            logger.warning("parquet database %s: skipping record %s in records/%s: its trace is not "
                           "valid JSON (%s)", self.uri, values[0], src.name, e)
            return False
        return True

    def _record(self, values: tuple, workload: Workload) -> TuningRecord:
        rid, _, trace, run_secs, target, args, error, task, node, when = values
        return TuningRecord.from_stored(workload, trace, run_secs, target, args, error, task, node,
                                        None if when is None else when / 1e6, rid)

    def _retrying(self, fn):
        """`fn()`, again after a re-listing if a part it read was merged away meanwhile."""
        for attempt in range(3):
            try:
                return fn()
            except FileNotFoundError:
                if attempt == 2:
                    raise
                self._row_groups.clear()
                self._refresh(force=True)
                for src in list(self._index.sources.values()):
                    path = f"{self._dir('records')}/{src.name}"
                    if src.kind == "part" and self._fs.get_file_info(path).type != pafs.FileType.File:
                        self._index.remove(src.name)  # deleted: the parts it made redundant count again
                self._refresh(force=True)

    def get_top_k(self, workload: Workload, top_k: int, *, target=None) -> list[TuningRecord]:
        if top_k < 0:
            raise ValueError(f"top_k must be >= 0, got {top_k}")
        with self._lock:
            self._refresh()
            stored = self._workloads.find(workload)
            if stored is None or top_k == 0:
                return []
            key = None if target is None else target_key(target)
            members = self._workloads.members(stored)
            if len(members) == 1:
                return self._retrying(lambda: self._top_k(stored, top_k, key))
            found = [r for m in members for r in self._retrying(lambda m=m: self._top_k(m, top_k, key))]
            return top_k_valid(found, top_k)

    def _top_k(self, workload: Workload, top_k: int, key) -> list[TuningRecord]:
        out, seen = [], set()
        latest = latest_remeasurements(  # re-measured traces (database/remeasurement.py)
            (v[4], v[2], v[9]) for v in (self._row(src, row) for src, row in self._index.remeasured(workload.shash)))
        for src, row in self._index.ranked(workload.shash, key):
            if row in src.bad:
                continue
            values = self._row(src, row)
            if values[0] in seen or not self._trace_ok(src, row, values):
                continue
            if latest and superseded(latest, values[4], values[2], values[9]):
                continue
            seen.add(values[0])
            out.append(self._record(values, workload))
            if len(out) == top_k:
                break
        return out

    def get_all_tuning_records(self) -> list[TuningRecord]:
        with self._lock:
            self._refresh()
            return self._retrying(self._all_records)

    def _all_records(self) -> list[TuningRecord]:
        out, seen = [], set()
        by_hash = {}
        for src in sorted(self._index.sources.values(), key=lambda s: s.order):
            rows = src.rows if src.rows is not None else _table_rows(self._read_full_part(src.name)[0])
            for i, values in enumerate(rows):
                rid, shash = values[0], values[1]
                if rid in seen or i in src.bad:
                    continue
                if shash not in by_hash:
                    found = self._workloads.by_hash(shash)
                    by_hash[shash] = found[0] if found else None
                if by_hash[shash] is None:
                    continue
                seen.add(rid)
                out.append(self._record(values, by_hash[shash]))
        return out

    def has_workload(self, mod) -> bool:
        return self._find_workload(mod) is not None

    def _find_workload(self, mod):
        with self._lock:
            self._refresh()
            return self._workloads.find(Workload(_as_module(mod)))

    def workloads(self) -> list[Workload]:
        """Every stored workload."""
        with self._lock:
            self._refresh()
            return list(self._workloads)

    def __len__(self) -> int:
        with self._lock:
            self._refresh()
            return self._index.count(self._known)

    # -- maintenance -------------------------------------------------------------------------
    def compact(self) -> dict:
        """Merge all part files (and the logs of writers that are gone) into one per table.
        Safe while others write: only files whose rows were written out are deleted, after the
        merged file is committed; an unreadable part stays where it is and is reported.
        Returns, per table, the number of files merged, the rows kept and, if any, the
        unreadable parts left in place and the logs of running writers left to them."""
        stats = {}
        self.close()
        with self._lock:
            for sub in SCHEMAS:
                self._remove_stale_tmp(sub)
            stats["workloads"] = self._compact_workloads()
            stats["records"] = self._compact_records()
            self._refresh(force=True)
        return stats

    def _read_for_compaction(self, sub: str, name: str, bad: list, read):
        """`read(name)`; None if the part vanished, or if it cannot be read: then it stays in
        place and is listed in `bad`."""
        try:
            return read(name)
        except FileNotFoundError:
            return None
        except (OSError, pa.ArrowException) as e:
            logger.warning("parquet database %s: compaction leaves unreadable part %s/%s: %s", self.uri, sub, name, e)
            bad.append(name)
            return None

    def _compact_workloads(self) -> dict:
        tables, read, bad = [], [], []
        for info in self._list("workloads"):
            name = info.base_name
            if not _is_part(name):
                continue
            table = self._read_for_compaction("workloads", name, bad, lambda n: pq.read_table(
                f"{self._dir('workloads')}/{n}", filesystem=self._fs, schema=WORKLOAD_SCHEMA))
            if table is not None:
                tables.append(table)
                read.append(name)
        table = pa.concat_tables(tables) if tables else WORKLOAD_SCHEMA.empty_table()
        seen, keep = set(), []
        for i, key in enumerate(zip(table.column("shash").to_pylist(), table.column("ir_json").to_pylist())):
            if key not in seen:
                seen.add(key)
                keep.append(i)
        out = {"parts_merged": 0, "rows": len(keep)}
        if len(read) >= 2:
            self._write_part("workloads", table.take(keep))
            for name in read:
                self._delete("workloads", name)
            out["parts_merged"] = len(read)
        if bad:
            out["unreadable"] = bad
        return out

    def _compact_records(self) -> dict:
        tables, parts, logs, bad, covers, live = [], [], [], [], set(), 0
        infos = sorted(self._list("records"), key=lambda i: record_log.is_log(i.base_name))  # parts first
        for info in infos:
            name = info.base_name
            if _is_part(name):
                got = self._read_for_compaction("records", name, bad, self._read_full_part)
                if got is None:
                    continue
                table, units = got
                tables.append(table)
                parts.append(name)
                covers |= units
            elif record_log.is_log(name) and name in covers:  # folded into a part already
                lock = self._abandoned_log(info)
                if lock is not False:  # its writer died before deleting it
                    self._delete("records", name)
                    record_log.unlock(lock)
            elif record_log.is_log(name):
                lock = self._abandoned_log(info)
                if lock is False:
                    live += 1  # its writer is alive and still appending
                    continue
                try:
                    with self._fs.open_input_file(info.path) as f:
                        rows, _ = record_log.decode(f.read(), f"{self.uri}/records/{name}", 1)
                except FileNotFoundError:
                    record_log.unlock(lock)
                    continue
                tables.append(_rows_table(rows))
                logs.append((name, lock))
                covers.add(name)
        merged = _sorted_deduped(pa.concat_tables(tables)) if tables else RECORD_SCHEMA.empty_table()
        out = {"parts_merged": 0, "rows": merged.num_rows}
        if len(parts) + len(logs) >= 2 or logs:
            self._write_part("records", merged, covers)
            for name in parts:
                self._delete("records", name)
            out["parts_merged"] = len(parts) + len(logs)
        for name, lock in logs:
            if out["parts_merged"]:
                self._delete("records", name)
            record_log.unlock(lock)
        if bad:
            out["unreadable"] = bad
        if live:
            out["live_logs"] = live
        return out

    def _abandoned_log(self, info):
        """For another writer's log: False while its writer lives, else a lock to hold (or
        None where logs cannot be locked and the log is older than STALE_TMP_S)."""
        if self._local:
            try:
                fd = record_log.lock(info.path)
            except FileNotFoundError:
                return False  # folded into a part meanwhile
            return False if fd is None else fd
        stale = info.mtime is not None and time.time() - info.mtime.timestamp() > STALE_TMP_S
        return None if stale else False

    def _remove_stale_tmp(self, sub: str) -> None:
        now = time.time()
        for info in self._list(sub):
            if info.base_name.startswith(".tmp-") and info.mtime is not None \
                    and now - info.mtime.timestamp() > STALE_TMP_S:
                self._delete(sub, info.base_name)

    def export_json(self, work_dir: str):
        """Write every workload and record into a JSON database at `work_dir`."""
        from .json_database import JSONDatabase

        out = JSONDatabase(work_dir=work_dir)
        with self._lock:
            self._refresh(force=True)
            for workload in list(self._workloads):
                out.commit_workload(workload.mod)
            for record in self._all_records():
                out.commit_tuning_record(record)
        return out

    def __repr__(self):
        return f"ParquetDatabase({self.uri!r})"


def _reopen(uri, options) -> ParquetDatabase:
    return ParquetDatabase(uri, **options)
