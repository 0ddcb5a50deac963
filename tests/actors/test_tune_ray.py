"""tune_tir on real local Ray (the default builder, runner and task-scheduler actor): a correct
schedule faster than the unscheduled program, resume, planted segfault/hang/wrong-result
candidates recorded as errors, and a runner actor killed mid-run losing no candidate."""


import raytune_ms as ms
from raytune_ms import spaces
from raytune_ms.runner import EvaluatorConfig
from raytune_ms.search_strategy import trace_key
from raytune_ms.testing import planted

FAST = EvaluatorConfig(number=2, repeat=1, min_repeat_ms=5)


def _tune(wl, work_dir, trials, **kwargs):
    from actors import RayBuilder, RayRunner

    options = dict(num_trials_per_iter=4, builder=RayBuilder(num_builders=2),
                   runner=RayRunner(evaluator_config=FAST), space=spaces.matmul_space, seed=11,
                   strategy="replay-trace", cost_model="random")
    options.update(kwargs)
    return ms.tune_tir(wl.func, "llvm", str(work_dir), trials, **options)


def test_ray_tuning_finds_a_correct_schedule_faster_than_unscheduled(ray_local, tmp_path):
    from actors import RayBuilder, RayRunner
    from raytune_ms.tune import run_tuning, tir_tasks

    wl = ms.workloads.get("GMM", "standard")
    with ms.Profiler() as profiler:
        result = run_tuning(
            tasks=tir_tasks(wl.func, "llvm", space=spaces.matmul_space, strategy="replay-trace", seed=11),
            task_weights=[1.0], cost_model="random",
            work_dir=str(tmp_path), max_trials_global=8, num_trials_per_iter=4,
            builder=RayBuilder(num_builders=2), runner=RayRunner(evaluator_config=FAST),
        )
    db = result.database
    assert len(db.get_all_tuning_records()) == 8
    # the statistics and profile came back from the scheduler actor as its TuneResult
    assert result.tasks[0].trials == 8 and result.trials == 8 and result.tasks[0].done
    assert result.tasks[0].stop_reason and "Trials" in result.tuning_statistics()
    assert profiler.get().get("SearchStrategy/GenerateMeasureCandidates", 0) > 0
    best = db.query_tuning_record(wl.func, "llvm")
    sch = ms.compile_tir(db, wl.func, "llvm")
    arrays = wl.make_inputs(seed=5)
    ms.build(sch.mod, "llvm")(*arrays)
    assert wl.compare(arrays)[0]
    from raytune_ms.arg_info import ArgInfo
    from raytune_ms.codegen import build_artifact
    from raytune_ms.runner.measurer import Measurer

    base = Measurer(evaluator_config=FAST).measure(build_artifact(wl.func, "llvm"), ArgInfo.from_prim_func(wl.func))
    assert best.mean_run_secs < min(base.run_secs)


def test_ray_resume_skips_measured_traces(ray_local, tmp_path):
    wl = ms.workloads.get("GMM", "small")
    _tune(wl, tmp_path, 4)
    db = _tune(wl, tmp_path, 4)
    records = db.get_all_tuning_records()
    assert len(records) == 8
    assert len({trace_key(r.trace_text()) for r in records}) == 8


def test_ray_faults_become_error_records(ray_local, tmp_path):
    from actors import RayBuilder, RayRunner

    wl = ms.workloads.get("GMM", "small")
    db = _tune(
        wl, tmp_path, 10, strategy="replay-func",
        builder=RayBuilder(num_builders=2, f_build=planted.planted_build),
        runner=RayRunner(timeout_sec=1, evaluator_config=FAST),
        space=planted.make_planted_space([0.25, 0.25, 0.25, 0.25]),
    )
    records = db.get_all_tuning_records()
    assert len(records) == 10
    errors = {planted.plant_of(r.as_measure_candidate().sch.mod["main"]): r.error for r in records if r.error}
    expected = {planted.SEGFAULT: "crash", planted.HANG: "timeout", planted.WRONG: "wrong result"}
    assert set(errors) <= set(expected) and errors, errors
    for mode, message in errors.items():
        assert message.startswith(expected[mode]), (mode, message)
    assert any(r.is_valid() for r in records)


def test_killing_a_runner_actor_loses_no_candidate(ray_local, tmp_path):
    from actors import RayRunner

    ray = ray_local
    wl = ms.workloads.get("GMM", "small")
    trials = 12
    killed, seen = [], set()

    def kill_once(snapshot):
        names = [n for n in ray.util.list_named_actors() if n.startswith("raytune_ms:runner:")]
        seen.update(names)
        if not killed and 1 <= snapshot["trials_done"] < trials and names:
            ray.kill(ray.get_actor(names[0]))
            killed.append(names[0])

    # progress is polled every 0.5 s: each measurement lasting >= 0.2 s keeps the run (and the
    # replaced runner) alive across several polls, where 5 ms ones once finished between two
    slow = EvaluatorConfig(number=1, repeat=1, min_repeat_ms=200)
    db = _tune(wl, tmp_path, trials, progress_callback=kill_once,
               runner=RayRunner(evaluator_config=slow))
    assert killed, "no runner actor was found to kill"
    assert seen - set(killed), "the killed runner was not replaced"
    records = db.get_all_tuning_records()
    assert len(records) == trials
    assert not [r.error for r in records if r.error], "a candidate was lost or failed"
