"""The reference's JSON database: two JSON-lines files, appended on every commit.

workloads file: one `[structural hash, IR JSON]` per line, a workload's index is its line number.
records file: one `[workload index, [trace, run_secs, target, args_info(, provenance)]]` per
line. Simple and diff-able, but every open parses everything, and since records point at
workloads by line number, two processes appending at once would attach records to the wrong
workload: the first write takes an exclusive lock (`<records file>.lock`, fcntl) that a second
writing process is refused; use the parquet database for shared or large stores. Objects of one
process share the lock and pick up each other's workload lines before appending.

A last line without its newline (a writer killed mid-write) is skipped with a warning and cut
off by the next writer; any other malformed line is an error naming file and line.
"""

from __future__ import annotations

import json
import logging
import os
import threading

from .database import TuningRecord, Workload, _json_text
from .memory_database import MemoryDatabase

try:
    import fcntl
except ImportError:  # not POSIX: no cross-process lock
    fcntl = None

logger = logging.getLogger(__name__)

#: lock file path -> [fd, users, threading lock]: one flock per process and file.
_LOCKS: dict = {}
_LOCKS_GUARD = threading.Lock()


def _read_lines(path: str, start: int = 0, first_line: int = 1):
    """(line number, parsed JSON, end offset) per line from byte `start`; a torn last line is
    skipped with a warning."""
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read()
    offset = start
    lines = data.split(b"\n")
    for i, line in enumerate(lines):
        lineno, end = first_line + i, offset + len(line) + 1
        last = i == len(lines) - 1
        if line.strip():
            try:
                yield lineno, json.loads(line), min(end, start + len(data))
            except json.JSONDecodeError as e:
                if last:  # no newline after it: a write that never finished
                    logger.warning("%s:%d: skipping a torn last line (%d bytes, not valid JSON)",
                                   path, lineno, len(line))
                    return
                raise ValueError(f"{path}:{lineno}: not valid JSON ({e.msg})") from None
        offset = end


def _complete_size(path: str) -> int:
    """The file's size up to its last newline (what complete lines occupy)."""
    with open(path, "rb") as f:
        data = f.read()
    return data.rfind(b"\n") + 1 if data else 0


class JSONDatabase(MemoryDatabase):
    def __init__(self, path_workload: str | None = None, path_tuning_record: str | None = None, *,
                 work_dir: str | None = None, allow_missing: bool = True,
                 module_equality: str = "structural"):
        super().__init__(module_equality)
        if work_dir is not None:
            path_workload = path_workload or os.path.join(work_dir, "database_workload.json")
            path_tuning_record = path_tuning_record or os.path.join(work_dir, "database_tuning_record.json")
        if path_workload is None or path_tuning_record is None:
            raise ValueError("JSONDatabase needs work_dir, or both path_workload and path_tuning_record")
        self.path_workload = str(path_workload)
        self.path_tuning_record = str(path_tuning_record)
        for path in (self.path_workload, self.path_tuning_record):
            if not os.path.exists(path):
                if not allow_missing:
                    raise FileNotFoundError(f"JSON database file {path} does not exist (allow_missing=False)")
                os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
                open(path, "a").close()
        self._line_of: dict[Workload, int] = {}
        self._by_line: list[Workload] = []
        self._workload_bytes = self._workload_lines = 0  # how far the workload file was read
        self._lock_path = os.path.abspath(self.path_tuning_record) + ".lock"
        self._lock = None
        self._load()

    def _load_workloads(self) -> None:
        """Index the workload lines after the ones read so far."""
        first = self._workload_lines + 1
        for lineno, obj, end in _read_lines(self.path_workload, self._workload_bytes, first):
            if not (isinstance(obj, list) and len(obj) == 2):
                raise ValueError(f"{self.path_workload}:{lineno}: not [shash, IR]")
            read = Workload.from_stored(*obj)
            workload, _ = self._index_workload(read)
            if not workload.same_as(read):  # equal by anchor block only: the line keeps its program
                workload = read
            self._line_of.setdefault(workload, len(self._by_line))
            self._by_line.append(workload)
            self._workload_bytes, self._workload_lines = end, lineno

    def _load(self) -> None:
        self._load_workloads()
        for lineno, obj, _ in _read_lines(self.path_tuning_record):
            where = f"{self.path_tuning_record}:{lineno}"
            if not (isinstance(obj, list) and len(obj) == 2 and isinstance(obj[0], int)):
                raise ValueError(f"{where}: not [workload index, record]")
            index, rec = obj
            if not 0 <= index < len(self._by_line):
                raise ValueError(f"{where}: workload index {index} is out of range "
                                 f"({len(self._by_line)} workloads in {self.path_workload})")
            try:
                self._index_record(TuningRecord.from_json(rec, self._by_line[index]))
            except (TypeError, ValueError) as e:
                raise ValueError(f"{where}: {e}") from None

    # -- the single-writer lock --------------------------------------------------------------
    def _writer(self):
        """This process's writer lock on the files (taken on first write), as the
        threading lock that serialises appends."""
        if self._lock is None:
            with _LOCKS_GUARD:
                entry = _LOCKS.get(self._lock_path)
                if entry is None:
                    entry = _LOCKS[self._lock_path] = [self._take_lock(), 0, threading.Lock()]
                    self._cut_torn_tails()
                entry[1] += 1
            self._lock = entry
        return self._lock[2]

    def _take_lock(self):
        if fcntl is None:
            return None
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise RuntimeError(
                f"JSON database {os.path.dirname(self._lock_path)} is being written by another process "
                f"(it holds {self._lock_path}); the JSON store takes one writer at a time, since records "
                "point at workloads by line number. Use the parquet store for several writers: "
                "Database.create('parquet', path)"
            ) from None
        return fd

    def _cut_torn_tails(self) -> None:
        """The only writer now: drop a torn last line a killed writer left, so new lines
        start on a line of their own."""
        for path in (self.path_workload, self.path_tuning_record):
            size, complete = os.path.getsize(path), _complete_size(path)
            if size == complete:
                continue
            with open(path, "rb") as f:
                f.seek(complete)
                tail = f.read()
            try:
                json.loads(tail)
            except json.JSONDecodeError:
                logger.warning("%s: removing a torn last line (%d bytes) before appending", path, size - complete)
                os.truncate(path, complete)
            else:
                self._append(path, "")  # a whole line that only missed its newline
        self._workload_bytes = min(self._workload_bytes, os.path.getsize(self.path_workload))

    def close(self) -> None:
        """Release this object's share of the writer lock."""
        if self._lock is None:
            return
        with _LOCKS_GUARD:
            self._lock[1] -= 1
            if self._lock[1] == 0:
                _LOCKS.pop(self._lock_path, None)
                if self._lock[0] is not None:
                    os.close(self._lock[0])
        self._lock = None

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    # -- writing -----------------------------------------------------------------------------
    def _append(self, path: str, line: str) -> None:
        with open(path, "a", encoding="utf-8") as f:
            f.write(line + "\n")

    def _persist_workload(self, workload: Workload) -> int:
        """The workload's line, appending it if new (after the lines other objects of this
        process appended meanwhile)."""
        self._load_workloads()
        line = self._line_of.get(workload)
        if line is None:
            self._append(self.path_workload, f"[{json.dumps(workload.shash)},{workload.ir_text()}]")
            line = self._line_of[workload] = len(self._by_line)
            self._by_line.append(workload)
            self._workload_bytes = os.path.getsize(self.path_workload)
            self._workload_lines += 1
        return line

    def commit_workload(self, mod) -> Workload:
        workload = super().commit_workload(mod)
        with self._writer():
            self._persist_workload(workload)
        return workload

    def commit_tuning_record(self, record: TuningRecord) -> None:
        body = [record.trace_text(), _json_text(record.run_secs), json.dumps(record.target_key),
                _json_text(record.args_info_json())]
        extra = record.provenance()
        if extra:
            body.append(_json_text(extra))
        record = self._index_record(record)
        with self._writer():
            index = self._persist_workload(record.workload)
            self._append(self.path_tuning_record, f"[{index},[{','.join(body)}]]")
