"""The reference's JSON database: two JSON-lines files, appended on every commit.

workloads file: one `[structural hash, IR JSON]` per line, a workload's index is its line number.
records file: one `[workload index, [trace, run_secs, target, args_info(, provenance)]]` per
line. Simple and diff-able, but every open parses everything and one file cannot take writers
from several processes: use the parquet database for shared or large stores.
"""

from __future__ import annotations

import json
import os

from .database import TuningRecord, Workload, _json_text
from .memory_database import MemoryDatabase


def _read_lines(path: str):
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if line.strip():
                try:
                    yield lineno, json.loads(line)
                except json.JSONDecodeError as e:
                    raise ValueError(f"{path}:{lineno}: not valid JSON ({e.msg})") from None


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
        self._num_lines = 0
        self._load()

    def _load(self) -> None:
        by_line = []
        for _, (shash, ir) in _read_lines(self.path_workload):
            workload, _ = self._index_workload(Workload.from_stored(shash, ir))
            self._line_of.setdefault(workload, len(by_line))
            by_line.append(workload)
        self._num_lines = len(by_line)
        for lineno, (index, rec) in _read_lines(self.path_tuning_record):
            if not 0 <= index < len(by_line):
                raise ValueError(
                    f"{self.path_tuning_record}:{lineno}: workload index {index} is out of range "
                    f"({len(by_line)} workloads in {self.path_workload})"
                )
            self._index_record(TuningRecord.from_json(rec, by_line[index]))

    def _append(self, path: str, line: str) -> None:
        with open(path, "a", encoding="utf-8") as f:
            f.write(line + "\n")

    def _persist_workload(self, workload: Workload) -> int:
        line = self._line_of.get(workload)
        if line is None:
            self._append(self.path_workload, f"[{json.dumps(workload.shash)},{workload.ir_text()}]")
            line = self._line_of[workload] = self._num_lines
            self._num_lines += 1
        return line

    def commit_workload(self, mod) -> Workload:
        workload = super().commit_workload(mod)
        self._persist_workload(workload)
        return workload

    def commit_tuning_record(self, record: TuningRecord) -> None:
        body = [record.trace_text(), _json_text(record.run_secs), json.dumps(record.target_key),
                _json_text(record.args_info_json())]
        extra = record.provenance()
        if extra:
            body.append(_json_text(extra))
        record = self._index_record(record)
        index = self._persist_workload(record.workload)
        self._append(self.path_tuning_record, f"[{index},[{','.join(body)}]]")
