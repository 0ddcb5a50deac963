"""The evolutionary search's slot work on Ray worker actors and its own process
(actors/search_workers.py): the batches of a seed are the same in process and over this
process with 1 or 2 actors (the jobs of a
search whose workers have not started yet are done in process), a worker that dies in the
middle of a batch costs no slot, and a tuning run over Ray with search workers measures
valid, numpy-correct kernels."""

import os

import raytune_ms as ms
from raytune_ms import tir
from raytune_ms.cost_model import XGBModel
from raytune_ms.database import MemoryDatabase
from raytune_ms.mutator import Mutator
from raytune_ms.runner import EvaluatorConfig, RunnerResult
from raytune_ms.search_strategy import EvolutionarySearch
from raytune_ms.tune_context import TuneContext

FAST = EvaluatorConfig(number=2, repeat=1, min_repeat_ms=5)


def fake_result(cand) -> RunnerResult:
    """A run time that depends only on the program, so every run trains the same model."""
    h = int(tir.structural_hash(cand.sch.mod)[:8], 16)
    return RunnerResult([1e-3 * (1 + h % 97 / 10)])


def batches(candidate_map=None, space="post-order-apply", before_batch=None):
    """The structural hashes of three batches of GMM small: the first blind, the model then
    trained on each batch's (fake) results, so the later ones are evolved on feature rows."""
    wl = ms.workloads.get("GMM", "small")
    strategy = EvolutionarySearch(population_size=48, init_min_unmeasured=8, genetic_num_iters=2,
                                  candidate_map=candidate_map)
    ctx = TuneContext(wl.func, target="llvm", space_generator=space, search_strategy=strategy, rand_state=5)
    model = XGBModel(num_warmup_samples=0)
    ctx.pre_tuning(max_trials=24, num_trials_per_iter=8, database=MemoryDatabase(), cost_model=model)
    out = []
    try:
        for i in range(3):
            if before_batch is not None:
                before_batch(i)
            batch = ctx.generate_measure_candidates()
            out.append([tir.structural_hash(c.sch.mod) for c in batch])
            model.update(ctx, batch, [fake_result(c) for c in batch])
        assert strategy._run.num_mutated > 0
    finally:
        ctx.post_tuning()
    return out


def test_the_batches_of_a_seed_do_not_depend_on_the_number_of_workers(ray_local):
    from actors.search_workers import RayCandidateMap

    serial = batches()
    assert [len(b) for b in serial] == [8, 8, 8] and len({h for b in serial for h in b}) == 24
    for n in (2, 3):  # this process and 1 or 2 actors
        cmap = RayCandidateMap(n)
        cmap.pool().wait_started()  # (until then, the jobs are done in process)
        try:
            assert batches(cmap) == serial, f"{n} processes"
            assert cmap.worker_cpu_s > 0  # the actors took their share
        finally:
            cmap.shutdown()


class DyingOnce(Mutator):
    """MutateTileSize whose first mutation in a worker process (not the test's) kills it."""

    def __init__(self, marker: str, home_pid: int):
        self.inner = next(iter(Mutator.create("mutate-tile-size")))
        self.marker, self.home_pid = marker, home_pid

    def _initialize_with_tune_context(self, context):
        super()._initialize_with_tune_context(context)
        self.inner._initialize_with_tune_context(context)

    def apply_with_schedule(self, trace, rand_state=None):
        if os.getpid() != self.home_pid and os.path.exists(self.marker):
            os.remove(self.marker)
            os._exit(1)
        return self.inner.apply_with_schedule(trace, rand_state)


def test_a_worker_dying_mid_batch_costs_no_slot(ray_local, tmp_path):
    from actors.search_workers import RayCandidateMap
    from raytune_ms.space_generator.post_order_apply import PostOrderApply

    marker = str(tmp_path / "die")

    def space():
        return PostOrderApply(mutator_probs={DyingOnce(marker, os.getpid()): 1.0})

    serial = batches(space=space())
    cmap = RayCandidateMap(2)
    cmap.pool().wait_started()
    try:
        def arm(i):
            if i == 1:  # the first evolved batch (the blind one mutates nothing)
                open(marker, "w").close()

        assert batches(cmap, space=space(), before_batch=arm) == serial
        assert not os.path.exists(marker), "no worker met the planted death"
        assert cmap.pool().replaced >= 1
    finally:
        cmap.shutdown()


def test_tuning_over_ray_with_search_workers_measures_correct_kernels(ray_local, tmp_path):
    from actors import RayBuilder, RayRunner
    from raytune_ms.tune import run_tuning, tir_tasks

    wl = ms.workloads.get("GMM", "small")
    strategy = EvolutionarySearch(population_size=32, init_min_unmeasured=8, genetic_num_iters=2, search_workers=2)
    model = XGBModel(num_warmup_samples=8)
    builder, runner = RayBuilder(num_builders=1), RayRunner(evaluator_config=FAST)
    try:
        with ms.Profiler() as profiler:
            result = run_tuning(tasks=tir_tasks(wl.func, "llvm", strategy=strategy, seed=3), task_weights=[1.0],
                                work_dir=str(tmp_path), max_trials_global=24, num_trials_per_iter=8,
                                builder=builder, runner=runner, cost_model=model, scheduler_in_actor=False)
    finally:  # (pools passed in are the caller's to shut down)
        builder.shutdown()
        runner.shutdown()
    assert strategy.candidate_map is None  # the run's map was unplugged (and shut down) after it
    assert profiler.get().get("EvolutionarySearch/Materialize", 0) > 0  # members came from worker processes
    records = result.database.get_all_tuning_records()
    assert len(records) == 24 and sum(r.is_valid() for r in records) >= 20
    assert len({r.trace_text() for r in records}) == 24
    sch = ms.compile_tir(result.database, wl.func, "llvm")
    arrays = wl.make_inputs(seed=5)
    ms.build(sch.mod, "llvm")(*arrays)
    assert wl.compare(arrays)[0]


def test_tune_tir_over_ray_plugs_search_workers_in_the_scheduler_actor(ray_local, tmp_path):
    """tune_tir's default (the task scheduler in its actor): the search's workers start there."""
    from actors import RayBuilder, RayRunner

    wl = ms.workloads.get("GMM", "small")
    strategy = EvolutionarySearch(population_size=32, init_min_unmeasured=8, genetic_num_iters=2, search_workers=2)
    with ms.Profiler() as profiler:
        db = ms.tune_tir(wl.func, "llvm", str(tmp_path), 24, num_trials_per_iter=8, builder=RayBuilder(num_builders=1),
                         runner=RayRunner(evaluator_config=FAST), strategy=strategy, seed=3,
                         cost_model=XGBModel(num_warmup_samples=8))
    assert profiler.get().get("EvolutionarySearch/Materialize", 0) > 0
    assert len(db.get_all_tuning_records()) == 24
