"""Queries that replay a stored trace: schedule, IR module, measure candidate; and the
schedule-function database."""

import pytest

from raytune_ms import tir
from raytune_ms.arg_info import ArgInfo
from raytune_ms.database import Database, OrderedUnionDatabase, ScheduleFnDatabase, TuningRecord
from raytune_ms.schedule import Schedule


def _tiled(func, seed=3):
    sch = Schedule(func, seed=seed)
    i, j = sch.get_loops(sch.get_block("B"))
    j0, j1 = sch.split(j, sch.sample_perfect_tile(j, 2))
    sch.vectorize(j1)
    sch.parallel(i)
    return sch


@pytest.mark.parametrize("kind", ["memory", "json", "parquet"])
def test_stored_trace_replays(kind, open_db, make_func):
    func = make_func(n=16)
    sch = _tiled(func)
    db = open_db(kind)
    wl = db.commit_workload(func)
    db.commit_tuning_record(TuningRecord(sch.trace, wl, [1e-3], None, ArgInfo.from_prim_func(func)))
    db.commit_tuning_record(TuningRecord(_tiled(func, seed=5).trace, wl, [2e-3], None, None))
    if kind != "memory":
        db = open_db(kind)  # read back from disk
    fresh = make_func(n=16)  # equal only structurally to what was committed
    got = db.query(fresh, None)
    tir.assert_structural_equal(got.mod, sch.mod)
    assert got.trace.as_json() == sch.trace.as_json()
    tir.assert_structural_equal(db.query(fresh, None, kind="ir_module"), sch.mod)
    assert db.query(make_func(n=8), None) is None
    cand = db.query(fresh, None, kind="record").as_measure_candidate()
    tir.assert_structural_equal(cand.sch.mod, sch.mod)
    assert cand.args_info == ArgInfo.from_prim_func(func)


def test_schedule_fn_database(make_func):
    func = make_func(n=16)

    def schedule(sch):
        if sch.mod["main"].params[0].shape != (16, 16):
            return False
        sch.parallel(sch.get_loops(sch.get_block("B"))[0])
        return True

    db = Database.create(schedule)
    assert isinstance(db, ScheduleFnDatabase)
    sch = db.query_schedule(func, None)
    assert sch.trace.as_json()[0][-1][0] == "Parallel"
    assert db.query_schedule(make_func(n=8), None) is None
    rec = db.query_tuning_record(func, None)
    assert rec.run_secs is None and rec.workload.shash == tir.structural_hash(tir.IRModule.from_any(func))
    tir.assert_structural_equal(db.query(func, None, kind="ir_module"), sch.mod)
    db.commit_tuning_record(rec)
    assert len(db) == 0 and db.get_all_tuning_records() == [] and not db.has_workload(func)


def test_schedule_fn_returning_none_counts_as_applied(make_func):
    db = ScheduleFnDatabase(lambda sch: sch.parallel(sch.get_loops(sch.get_block("B"))[0]))
    assert db.query_schedule(make_func(), None) is not None


def test_hand_schedule_overrides_tuned_records_in_ordered_union(make_func):
    func = make_func(n=16)
    tuned = Database.create("memory")
    tuned.commit_tuning_record(TuningRecord(_tiled(func).trace, tuned.commit_workload(func), [1e-3]))
    hand = ScheduleFnDatabase(lambda sch: True)
    sch = OrderedUnionDatabase(hand, tuned).query_schedule(func, None)
    assert len(sch.trace) == 0  # the hand-written (empty) schedule won
    sch = OrderedUnionDatabase(tuned, hand).query_schedule(func, None)
    assert len(sch.trace) > 0


@pytest.mark.parametrize("kind", ["memory", "parquet"])
def test_best_record_that_no_longer_replays_is_passed_over(kind, open_db, make_func):
    """A store written by an older design space may hold a best trace that fails on today's
    schedule primitives: the query warns, naming it, and gives the best record that replays."""
    func = make_func(n=16)
    good = _tiled(func)
    tile = next(inst for inst in good.trace.instructions() if inst.kind.name == "SamplePerfectTile")
    stale = good.trace.with_decision(tile, [3, 5], remove_postproc=False)  # 3 * 5 != 16
    db = open_db(kind)
    wl = db.commit_workload(func)
    db.commit_tuning_record(TuningRecord(stale, wl, [0.5e-3], None, None, record_id="stale-1"))
    db.commit_tuning_record(TuningRecord(good.trace, wl, [1e-3], None, None))
    with pytest.warns(UserWarning, match="stale-1"):
        got = db.query_schedule(make_func(n=16), None)
    tir.assert_structural_equal(got.mod, good.mod)


def test_no_record_replays_is_an_error_naming_them(open_db, make_func):
    func = make_func(n=16)
    good = _tiled(func)
    tile = next(inst for inst in good.trace.instructions() if inst.kind.name == "SamplePerfectTile")
    db = open_db("memory")
    wl = db.commit_workload(func)
    db.commit_tuning_record(TuningRecord(good.trace.with_decision(tile, [3, 5], remove_postproc=False), wl,
                                         [1e-3], None, None, record_id="stale-2"))
    with pytest.raises(ValueError, match="none of the 1 best records.*stale-2"):
        db.query_schedule(func, None)
