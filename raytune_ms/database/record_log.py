"""A writer's log of tuning records: one JSON line per record, appended as it is committed.

Appending a line is one write() of a few hundred bytes: cheap enough to make every commit
durable (the line is in the OS page cache when commit returns, so it survives kill -9), where a
Parquet file per record costs a file create, a footer and a rename. The parquet store folds
each log into a Parquet part once it holds a few thousand records (or when its writer closes).

A line is `[record_id, workload, trace_json, run_secs, target, args_info, error, task_name,
node, time_us]` (the record table's columns, trace and args_info as JSON text). Log files are
named `_log-<writer>-<n>.jsonl`: Arrow tools skip names starting with "_". While its writer
lives, a local log holds an exclusive flock, so another process can tell a live log (never
touched) from one a crashed writer left (merged by compaction).
"""

from __future__ import annotations

import json
import logging
import os

logger = logging.getLogger(__name__)

PREFIX = "_log-"
SUFFIX = ".jsonl"

try:
    import fcntl
except ImportError:  # not POSIX: logs are never locked, liveness falls back to age
    fcntl = None


def is_log(name: str) -> bool:
    return name.startswith(PREFIX) and name.endswith(SUFFIX)


def encode(row: tuple) -> bytes:
    return (json.dumps(row, separators=(",", ":")) + "\n").encode()


def decode(data: bytes, where: str, first_line: int) -> tuple[list[tuple], int]:
    """(rows, bytes consumed) of the complete lines in `data`; a last line without its newline
    is being written (or was torn by a crash) and is left for later. A complete line that does
    not parse is skipped with a warning naming file and line."""
    end = data.rfind(b"\n") + 1
    rows = []
    for n, line in enumerate(data[:end].split(b"\n")[:-1]):
        try:
            row = json.loads(line)
            if not isinstance(row, list) or len(row) != 10:
                raise ValueError("not a 10-field record")
        except ValueError as e:
            logger.warning("%s:%d: skipping a malformed record line: %s", where, first_line + n, e)
            continue
        rows.append(tuple(row))
    return rows, end


def create_locked(path: str) -> tuple:
    """(append fd, lock fd) of a new local log that is locked before its name appears, so no
    other process ever sees it unlocked while its writer lives."""
    tmp = os.path.join(os.path.dirname(path), ".tmp-" + os.path.basename(path))
    fd = os.open(tmp, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o644)
    held = lock(tmp)
    os.rename(tmp, path)
    return fd, held


def lock(path: str):
    """An exclusive lock on a local log (an open fd to keep), or None where not supported."""
    if fcntl is None:
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def unlock(fd) -> None:
    if fd is not None:
        os.close(fd)
