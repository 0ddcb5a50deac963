"""The streaming task scheduler: budgets, fairness, round-robin and gradient selection, results
delivered as they arrive, the statistics table. Builders and runners here are user extensions
(PyBuilder/PyRunner) that answer instantly from the candidate's decisions, so the scheduler's
logic runs at full speed; the real pipeline is exercised in test_tune_local and tests/actors."""

import json
import math
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from raytune_ms import workloads
from raytune_ms.builder import BuilderResult, PyBuilder
from raytune_ms.database import MemoryDatabase
from raytune_ms.measure_callback import MeasureCallback, PyMeasureCallback
from raytune_ms.runner import PyRunner, RunnerFuture, RunnerResult
from raytune_ms.task_scheduler import GradientBased, RoundRobin, TaskRecord, TaskScheduler
from raytune_ms.tune_context import TuneContext
from raytune_ms.utils import derived_object


def tile_space(sch):
    from raytune_ms.spaces.tiling import main_block

    block = main_block(sch)
    loops = sch.get_loops(block)
    sch.split(loops[-1], sch.sample_perfect_tile(loops[-1], 2, 16))
    sch.split(loops[-2], sch.sample_perfect_tile(loops[-2], 2, 16))


@derived_object
class DecisionBuilder(PyBuilder):
    """The "artifact" is the candidate's tile decisions."""

    def build(self, build_inputs):
        out = []
        for inp in build_inputs:
            func = inp.mod[inp.mod.get_global_vars()[0]]
            out.append(BuilderResult(artifact=json.dumps([len(str(func.body))]).encode()))
        return out


@derived_object
class DelayedRunner(PyRunner):
    """Run time from the artifact; results complete after a random short delay, out of order."""

    def __init__(self, delay_s=0.0):
        self.delay_s = delay_s
        self.pool = ThreadPoolExecutor(4)
        self.parallelism = 2

    def _run(self, inp, i):
        time.sleep(self.delay_s * ((i * 7) % 3))
        size = json.loads(inp.artifact)[0]
        return RunnerResult([1e-6 * (1 + size % 97)])

    def run(self, runner_inputs):
        futs = []
        for i, inp in enumerate(runner_inputs):
            cf = self.pool.submit(self._run, inp, i)
            futs.append(RunnerFuture(cf.done, cf.result, lambda cf=cf: cf))
        return futs


@derived_object
class Recorder(PyMeasureCallback):
    def __init__(self):
        self.groups = []

    def apply(self, task_scheduler, task_id, measure_candidates, builder_results, runner_results):
        self.groups.append((task_id, len(runner_results)))


def _tasks(names=("GMM", "GEMV", "BMM")):
    return [
        TuneContext(workloads.get(n, "small").func, target="llvm", space_generator=tile_space,
                    search_strategy="replay-trace", task_name=n, rand_state=i + 1)
        for i, n in enumerate(names)
    ]


def _tune(scheduler, tasks, *, max_trials_global, max_trials_per_task=None, per_iter=4, runner=None,
          callbacks=None):
    db = MemoryDatabase()
    scheduler.tune(
        tasks, [1.0] * len(tasks), max_trials_global, max_trials_per_task or max_trials_global,
        per_iter, DecisionBuilder(), runner or DelayedRunner(), callbacks or MeasureCallback.create("default"),
        db, None,
    )
    return db


@pytest.mark.parametrize("kind", ["round-robin", "gradient"])
def test_small_global_budget_is_exact_and_reaches_every_task(kind):
    scheduler = TaskScheduler.create(kind)
    db = _tune(scheduler, _tasks(), max_trials_global=5, per_iter=4)
    trials = [t.num_trials for t in scheduler.tasks]
    assert sum(trials) == 5 and len(db) == 5
    assert all(n >= 1 for n in trials), trials
    assert all(t.is_terminated for t in scheduler.tasks)


def test_max_trials_per_task_caps_each_task():
    scheduler = RoundRobin()
    _tune(scheduler, _tasks(("GMM", "GEMV")), max_trials_global=100, max_trials_per_task=6, per_iter=4)
    assert [t.num_trials for t in scheduler.tasks] == [6, 6]


def test_results_are_delivered_as_they_arrive():
    recorder = Recorder()
    scheduler = RoundRobin(max_in_flight=4)
    _tune(scheduler, _tasks(("GMM",)), max_trials_global=12, per_iter=12,
          runner=DelayedRunner(delay_s=0.02), callbacks=[recorder])
    sizes = [n for _, n in recorder.groups]
    assert sum(sizes) == 12
    assert len(sizes) >= 3 and max(sizes) < 12, f"results were batched: {sizes}"


def test_every_result_reaches_the_database_and_the_statistics():
    scheduler = GradientBased(seed=1)
    db = _tune(scheduler, _tasks(), max_trials_global=24, per_iter=4)
    assert len(db) == 24
    table = scheduler.tuning_statistics()
    header = table.splitlines()[0]
    for column in ["ID", "Name", "FLOP", "Weight", "GFLOPS", "Latency (us)", "Weighted Latency (us)",
                   "Trials", "Done"]:
        assert column in header
    assert "Total trials: 24" in table
    for line, task in zip(table.splitlines()[2:5], scheduler.tasks):
        assert task.task_name in line and line.rstrip().endswith("Y")


def _records(scheduler, histories, weights=None, terminated=()):
    scheduler.tasks = []
    for i, hist in enumerate(histories):
        rec = TaskRecord(None, (weights or [1.0] * len(histories))[i], 1)
        rec.best_history = list(hist)
        rec.best_ms = hist[-1] if hist else math.inf
        rec.is_terminated = i in terminated
        scheduler.tasks.append(rec)
    scheduler._reset()


def test_round_robin_takes_turns_and_skips_finished_tasks():
    scheduler = RoundRobin()
    _records(scheduler, [[1.0]] * 3, terminated={1})
    assert [scheduler.next_task_id() for _ in range(4)] == [0, 2, 0, 2]
    for t in scheduler.tasks:
        t.is_terminated = True
    assert scheduler.next_task_id() == -1


def test_gradient_formula_picks_the_task_expected_to_gain_most():
    scheduler = GradientBased(alpha=0.2, window_size=3, seed=0)
    # task 0 improves fast, task 1 is flat but slow, task 2 is done
    _records(scheduler, [[10.0, 8.0, 6.0, 4.0], [5.0, 5.0, 5.0, 5.0], [100.0]], terminated={2})
    scheduler._round_robin = 4  # past the round-robin pass
    g0 = 0.2 * (10.0 - 4.0) / 3 + 0.8 * 4.0 / 4
    g1 = 0.2 * 0.0 + 0.8 * 5.0 / 4
    assert g0 > g1
    assert scheduler.next_task_id() == 0
    scheduler.tasks[0].task_weight = 0.1  # weighted, task 1 wins
    assert scheduler.next_task_id() == 1


def test_gradient_starts_with_a_round_robin_pass():
    scheduler = GradientBased(seed=0)
    _records(scheduler, [[], [], []])
    assert [scheduler.next_task_id() for _ in range(3)] == [0, 1, 2]


def test_a_failing_strategy_stops_only_its_task():
    tasks = _tasks(("GMM", "GEMV"))

    def broken():
        raise RuntimeError("boom")

    tasks[0].search_strategy.generate_measure_candidates = broken
    scheduler = RoundRobin()
    _tune(scheduler, tasks, max_trials_global=8, per_iter=4)
    assert [t.num_trials for t in scheduler.tasks] == [0, 8]


def test_a_cpu_search_holds_the_measurement_slot_shared(tmp_path, monkeypatch):
    """While a CPU task's search runs, no measurement can take the machine's slot (a kernel timed
    beside the search would read slow); builds, which hold it shared too, still can."""
    import fcntl
    import os

    from raytune_ms.process import MeasureSlot, measure_slot

    monkeypatch.setattr(measure_slot, "DEFAULT_DIR", str(tmp_path))
    slot = MeasureSlot()
    seen = []
    (ctx,) = _tasks(("GMM",))
    search = ctx.generate_measure_candidates

    def build_once():
        with slot.build():
            return True

    def probed():
        fd = slot._open("slot")
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(fd, fcntl.LOCK_UN)
                seen.append("measure could start")
            except BlockingIOError:
                seen.append("measure blocked")
            with ThreadPoolExecutor(1) as pool:  # a build (shared) in another thread is not blocked
                assert pool.submit(build_once).result(timeout=5)
        finally:
            os.close(fd)
        return search()

    ctx.generate_measure_candidates = probed
    _tune(RoundRobin(), [ctx], max_trials_global=8, per_iter=4)
    assert seen and set(seen) == {"measure blocked"}
