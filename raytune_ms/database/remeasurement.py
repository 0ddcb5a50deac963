"""Re-measurements: records that re-time a stored trace and then stand for its earlier readings.

A tuning run times each candidate once (the reference's EvaluatorConfig: number 3, repeat 1),
so under load a workload's best record is often a lucky reading. `raytune_ms.remeasure` re-times
the best records side by side with more repeats. The database never loses data, so a
re-measurement is a new record: the same workload, target and trace, its own run times, and a
record id that starts with REMEASURE_PREFIX. Ranking (get_top_k, the queries, dump_pruned) lets
the latest valid re-measurement of a (target, trace) stand for every record of that trace
committed before it. Those records stay stored (get_all_tuning_records returns them) but no
longer rank. A failed re-measurement is stored as an error record and hides nothing.

The marker is in the record id, so no store format changes: old stores read as before, and a
reader from before this rule ranks both records. Records not re-measured keep their single
readings, so re-measure enough of them (top_k) that a lucky one outside them cannot lead.
"""

from __future__ import annotations

import math
import uuid

REMEASURE_PREFIX = "remeasure-"


def new_remeasure_id() -> str:
    """A fresh record id that marks its record as a re-measurement."""
    return REMEASURE_PREFIX + uuid.uuid4().hex


def is_remeasure_id(record_id) -> bool:
    return isinstance(record_id, str) and record_id.startswith(REMEASURE_PREFIX)


def latest_remeasurements(rows) -> dict:
    """(target, trace text) -> the latest commit time of a re-measurement, from the
    (target, trace text, time) of valid re-measurement records (a time of None counts as -inf)."""
    latest: dict = {}
    for target, trace, when in rows:
        when = -math.inf if when is None else when
        key = (target, trace)
        if when > latest.get(key, -math.inf):
            latest[key] = when
    return latest


def superseded(latest: dict, target, trace, when) -> bool:
    """Whether a re-measurement of the trace on the target was committed after `when`."""
    later = latest.get((target, trace))
    return later is not None and (-math.inf if when is None else when) < later
