"""tune_tir end to end with the local builder and runner: a correct schedule faster than the
unscheduled program, compile_tir, resume without re-measuring, faults recorded as errors,
logs under work_dir."""

import os

import pytest

import raytune_ms as ms
from raytune_ms import spaces
from raytune_ms.arg_info import ArgInfo
from raytune_ms.builder import BuilderInput, LocalBuilder
from raytune_ms.codegen import build
from raytune_ms.runner import EvaluatorConfig, LocalRunner, RunnerInput
from raytune_ms.search_strategy import trace_key
from raytune_ms.testing import planted
from raytune_ms.tir import IRModule

FAST = EvaluatorConfig(number=2, repeat=1, min_repeat_ms=5)
#: the runner timeout of the planted-fault run (a hang is recorded after this long)
HANG_TIMEOUT_S = 5


def _tune(wl, work_dir, trials, **kwargs):
    options = dict(num_trials_per_iter=4, builder=LocalBuilder(max_workers=2),
                   runner=LocalRunner(evaluator_config=FAST), space=spaces.matmul_space, seed=7,
                   strategy="replay-trace", cost_model="random")
    options.update(kwargs)
    return ms.tune_tir(wl.func, "llvm", str(work_dir), trials, **options)


def test_tuning_finds_a_correct_schedule_faster_than_unscheduled(tmp_path):
    wl = ms.workloads.get("GMM", "standard")
    scheduler = ms.TaskScheduler.create("round-robin")
    db = _tune(wl, tmp_path, 8, task_scheduler=scheduler)
    records = db.get_all_tuning_records()
    assert len(records) == 8
    best = db.query_tuning_record(wl.func, "llvm")
    assert best is not None and best.is_valid()
    sch = ms.compile_tir(db, wl.func, "llvm")
    arrays = wl.make_inputs(seed=3)
    build(sch.mod, "llvm")(*arrays)
    assert wl.compare(arrays)[0]
    unscheduled = LocalBuilder(max_workers=1).build([BuilderInput(IRModule({"main": wl.func}), "llvm")])[0]
    runner = LocalRunner(evaluator_config=FAST)
    base = runner.run([RunnerInput(None, "cpu", ArgInfo.from_prim_func(wl.func), artifact=unscheduled.artifact)])[0]
    assert best.mean_run_secs < min(base.result().run_secs)
    assert scheduler.tasks[0].num_trials == 8
    logs = os.listdir(tmp_path / "logs")
    assert "tune.log" in logs and "task_000_main.log" in logs
    assert "[8]" in (tmp_path / "logs" / "task_000_main.log").read_text()


def test_resume_does_not_measure_a_trace_twice(tmp_path):
    wl = ms.workloads.get("GMM", "small")
    first = _tune(wl, tmp_path, 6)
    keys = {trace_key(r.trace_text()) for r in first.get_all_tuning_records()}
    assert len(keys) == 6
    second = _tune(wl, tmp_path, 6)  # same seed: the same traces come first, and are skipped
    records = second.get_all_tuning_records()
    assert len(records) == 12
    assert len({trace_key(r.trace_text()) for r in records}) == 12


@pytest.mark.slow  # ~30 s: each planted hang runs to HANG_TIMEOUT_S
def test_faults_are_recorded_and_the_run_completes(tmp_path):
    wl = ms.workloads.get("GMM", "small")
    db = _tune(
        wl, tmp_path, 12, strategy="replay-func", database="memory",
        builder=LocalBuilder(max_workers=2, f_build=planted.planted_build),
        # long enough for a normal candidate (and a respawned child taking the baseline) on a
        # loaded machine; each planted hang costs this much (no early "too slow" stop: the
        # hang must end by the timeout)
        runner=LocalRunner(timeout_sec=HANG_TIMEOUT_S, evaluator_config=FAST, slow_factor=None),
        space=planted.make_planted_space([0.4, 0.2, 0.2, 0.2]),
    )
    records = db.get_all_tuning_records()
    assert len(records) == 12
    modes = {}
    for r in records:
        modes.setdefault(planted.plant_of(r.as_measure_candidate().sch.mod["main"]), []).append(r)
    assert all(r.is_valid() for r in modes.get(planted.NORMAL, []))
    expected = {planted.SEGFAULT: "crash", planted.HANG: "timeout", planted.WRONG: "wrong result"}
    for mode, prefix in expected.items():
        assert all(r.error.startswith(prefix) for r in modes.get(mode, [])), (mode, [r.error for r in modes[mode]])
    assert set(modes) - {planted.NORMAL}, "the space planted no fault"
    best = db.query_tuning_record(wl.func, "llvm")
    assert planted.plant_of(best.as_measure_candidate().sch.mod["main"]) == planted.NORMAL


def test_every_function_of_a_module_is_a_task(tmp_path):
    gmm, gemv = ms.workloads.get("GMM", "small"), ms.workloads.get("GEMV", "small")
    mod = IRModule({"gmm": gmm.func.with_attr("global_symbol", "gmm"),
                    "gemv": gemv.func.with_attr("global_symbol", "gemv")})
    scheduler = ms.TaskScheduler.create("gradient")
    db = ms.tune_tir(mod, "llvm", str(tmp_path), 6, num_trials_per_iter=2, builder=LocalBuilder(max_workers=2),
                     runner=LocalRunner(evaluator_config=FAST), space=spaces.matmul_space, strategy="replay-trace",
                     cost_model="random", task_scheduler=scheduler, database="memory", seed=2)
    assert sorted(t.task_name for t in scheduler.tasks) == ["gemv", "gmm"]
    assert all(t.num_trials >= 1 for t in scheduler.tasks) and sum(t.num_trials for t in scheduler.tasks) == 6
    for name in ("gmm", "gemv"):
        func = mod[name]
        sch = ms.compile_tir(db, func, "llvm")
        assert sch is not None, name
