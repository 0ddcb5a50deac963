"""Replay strategies: fresh decisions per candidate, batches of num_trials_per_iter up to
max_trials, and never a trace the database already holds for the workload and target."""

import pytest

import raytune_ms as ms
from raytune_ms.database import MemoryDatabase, TuningRecord
from raytune_ms.runner import RunnerResult
from raytune_ms.search_strategy import MeasuredTraces, ReplayFunc, ReplayTrace, trace_key
from raytune_ms.tune_context import TuneContext


def tile_space(sch):
    block = sch.get_block("C")
    for loop in sch.get_loops(block)[1:3]:
        sch.split(loop, sch.sample_perfect_tile(loop, 3, 16))


def _ctx(strategy, seed=5):
    wl = ms.workloads.get("GMM", "small")
    return TuneContext(wl.func, target="llvm", space_generator=tile_space, search_strategy=strategy,
                       rand_state=seed)


@pytest.mark.parametrize("strategy_cls", [ReplayTrace, ReplayFunc])
def test_batches_until_max_trials(strategy_cls):
    ctx = _ctx(strategy_cls())
    ctx.pre_tuning(max_trials=10, num_trials_per_iter=4, database=MemoryDatabase())
    sizes = []
    while (batch := ctx.generate_measure_candidates()) is not None:
        sizes.append(len(batch))
        ctx.notify_runner_results(batch, [RunnerResult([1e-3])] * len(batch))
    assert sizes == [4, 4, 2]


@pytest.mark.parametrize("strategy_cls", [ReplayTrace, ReplayFunc])
def test_candidates_are_distinct_and_skip_stored_traces(strategy_cls):
    db = MemoryDatabase()
    first = _ctx(strategy_cls())
    first.pre_tuning(max_trials=6, num_trials_per_iter=6, database=db)
    batch = first.generate_measure_candidates()
    keys = {trace_key(c.sch.trace) for c in batch}
    assert len(keys) == 6
    workload = db.commit_workload(first.mod)
    for cand in batch:
        db.commit_tuning_record(TuningRecord(cand.sch.trace, workload, [1e-3], first.target, cand.args_info))
    again = _ctx(strategy_cls())  # same seed: it would draw the same traces first
    again.pre_tuning(max_trials=6, num_trials_per_iter=6, database=db)
    fresh = {trace_key(c.sch.trace) for c in again.generate_measure_candidates()}
    assert len(fresh) == 6 and not fresh & keys


def test_records_of_another_target_do_not_count():
    db = MemoryDatabase()
    ctx = _ctx(ReplayTrace())
    ctx.pre_tuning(max_trials=1, num_trials_per_iter=1, database=db)
    (cand,) = ctx.generate_measure_candidates()
    workload = db.commit_workload(ctx.mod)
    db.commit_tuning_record(TuningRecord(cand.sch.trace, workload, [1e-3], "c", cand.args_info))
    assert trace_key(cand.sch.trace) not in MeasuredTraces(db, ctx.mod, ctx.target)
    assert trace_key(cand.sch.trace) in MeasuredTraces(db, ctx.mod, "c")


def test_an_exhausted_space_ends_the_task():
    wl = ms.workloads.get("GEMV", "small")  # y[0, j]: a space of few distinct tilings

    def tiny(sch):
        loop = sch.get_loops(sch.get_block("y"))[1]
        sch.split(loop, sch.sample_perfect_tile(loop, 2, 2))

    ctx = TuneContext(wl.func, target="llvm", space_generator=tiny, search_strategy=ReplayTrace(max_fail_count=20),
                      rand_state=1)
    ctx.pre_tuning(max_trials=50, num_trials_per_iter=50, database=MemoryDatabase())
    batch = ctx.generate_measure_candidates()
    assert 1 <= len(batch) <= 2  # the loop has 16 iterations: tiles (16, 1) and (8, 2)
    assert ctx.generate_measure_candidates() is None


def test_clone_keeps_configuration_not_state():
    strategy = ReplayTrace(max_fail_count=7)
    ctx = _ctx(strategy)
    ctx.pre_tuning(max_trials=2, num_trials_per_iter=2, database=MemoryDatabase())
    clone = strategy.clone()
    assert clone.max_fail_count == 7 and clone._run is None and not hasattr(clone, "context")
