"""Which traces of a workload were already measured on a target, so a resumed run (or a
strategy that samples the same point twice) never measures a trace again.

The key of a trace is a digest of its canonical JSON (instructions with their decisions), the
same text the databases store, so keys computed from live schedules and from stored records
agree.
"""

from __future__ import annotations

import hashlib
import json
import logging

from ..database.database import target_key

logger = logging.getLogger(__name__)


def trace_key(trace) -> str:
    """A stable digest of a trace (a Trace or its JSON object/text)."""
    if isinstance(trace, str):
        trace = json.loads(trace)
    return keyed_text(trace)[0]


def keyed_text(trace) -> tuple[str, str]:
    """(trace_key, compact JSON text) of a Trace or its JSON object: the key is the digest of
    that text, so a worker that ships a trace serialises it once."""
    text = json.dumps(trace, separators=(",", ":")) if isinstance(trace, list) else trace.compact_json()
    return hashlib.sha1(text.encode()).hexdigest(), text


class MeasuredTraces:
    """The set of trace keys measured for one workload on one target (failed runs included:
    a trace that crashed once is not run again)."""

    def __init__(self, database=None, mod=None, target=None):
        self._keys: set[str] = set()
        if database is not None and mod is not None:
            self.load(database, mod, target)

    def load(self, database, mod, target=None) -> int:
        """Add the keys of every record of `mod` (on `target`, if given) in `database`."""
        if not database.has_workload(mod):
            return 0
        workload = database.commit_workload(mod)
        want = target_key(target) if target is not None else None
        before = len(self._keys)
        for rec in database.get_all_tuning_records():
            if rec.workload.shash != workload.shash or not rec.workload.same_as(workload):
                continue
            if want is not None and rec.target_key != want:
                continue
            try:
                self._keys.add(trace_key(rec.trace_text()))
            except ValueError as e:  # a damaged record must not stop a run; it is never a winner either
                logger.warning("skipping record %s of workload %s: its trace is not valid JSON (%s)",
                               rec.record_id, workload.shash, e)
        return len(self._keys) - before

    def add(self, key: str) -> None:
        self._keys.add(key)

    def __contains__(self, key: str) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)
