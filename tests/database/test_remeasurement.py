"""Re-measurement records on every stored kind: the latest valid re-measurement of a trace
ranks in place of the records of that trace committed before it, which stay stored; a failed
re-measurement hides nothing; the ranking survives reopening and compaction (parquet)."""

import pytest

from raytune_ms.database import Database, TuningRecord
from raytune_ms.database.remeasurement import is_remeasure_id, new_remeasure_id

LUCKY = [[], [["lucky"]]]  # opaque trace JSON: only its text is compared
OTHER = [[], [["other"]]]
THIRD = [[], [["third"]]]


def _rec(wl, secs, trace, t, **kw):
    return TuningRecord(trace, wl, None if secs is None else [secs], "llvm", None, time=t, **kw)


@pytest.mark.parametrize("kind", ["memory", "json", "parquet"])
def test_a_remeasurement_ranks_in_place_of_the_readings_it_retimed(open_db, scale, kind):
    db = open_db(kind)
    wl = db.commit_workload(scale)
    for secs, trace, t in ((1e-4, LUCKY, 1.0), (5e-4, OTHER, 2.0), (6e-4, THIRD, 3.0), (2e-4, LUCKY, 3.5)):
        db.commit_tuning_record(_rec(wl, secs, trace, t))
    assert db.get_top_k(wl, 1)[0].mean_run_secs == pytest.approx(1e-4)
    # a failed re-measurement is stored but hides nothing
    db.commit_tuning_record(_rec(wl, None, LUCKY, 4.0, error="round 1: timeout", record_id=new_remeasure_id()))
    assert db.get_top_k(wl, 1)[0].mean_run_secs == pytest.approx(1e-4)
    db.commit_tuning_record(_rec(wl, 8e-4, LUCKY, 5.0, record_id=new_remeasure_id()))
    # an ordinary reading of the trace after the re-measurement still ranks
    db.commit_tuning_record(_rec(wl, 9e-4, LUCKY, 6.0))

    def check(db):
        top = db.get_top_k(wl, 10, target="llvm")
        assert [r.mean_run_secs for r in top] == pytest.approx([5e-4, 6e-4, 8e-4, 9e-4])
        assert [r.is_remeasurement for r in top] == [False, False, True, False]
        assert is_remeasure_id(top[2].record_id) and top[2].trace_text() == top[3].trace_text()
        assert len(db.get_all_tuning_records()) == 7  # nothing lost
        assert db.query_tuning_record(scale, "llvm").mean_run_secs == pytest.approx(5e-4)

    check(db)
    if kind != "memory":
        db.flush()
        check(open_db(kind))
    if kind == "parquet":
        db.compact()
        check(open_db(kind))
    # a later re-measurement of a re-measured trace stands for both
    db.commit_tuning_record(_rec(wl, 3e-4, LUCKY, 7.0, record_id=new_remeasure_id()))
    top = db.get_top_k(wl, 10)
    assert [r.mean_run_secs for r in top] == pytest.approx([3e-4, 5e-4, 6e-4])
    pruned = Database.create("memory")
    db.dump_pruned(pruned)
    assert [r.mean_run_secs for r in pruned.get_all_tuning_records()] == pytest.approx([3e-4])
