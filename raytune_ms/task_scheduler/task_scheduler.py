"""The task scheduler: picks which task searches next and streams its candidates through the
builder and the runner, feeding each result back as it arrives.

Streaming: up to `max_in_flight` candidates are between "sent to the builder" and "result
delivered" at any time. A finished build goes straight to the runner, a finished run straight
to the search strategy and the measure callbacks, and a new batch is drawn as soon as the
pipeline has room — nobody waits for a whole batch (the reference joins each batch before
choosing the next task). Results that arrive together are delivered together.

Correctness baseline: before its first candidate, each task's untransformed program is built
once; its artifact rides along with every RunnerInput of the task so the runner can compare
outputs (a candidate that would run before the baseline build is done waits for it). A task
whose TuneContext carries a baseline of its own (an object with `expected(arrays)`, such as the
suite's numpy references that the CLI passes) is checked against that instead.

Budget: at most `max_trials_global` candidates are submitted, at most `max_trials_per_task`
per task; while some task has not been measured at all, a first batch is capped at its share
of the remaining budget, so a small budget still reaches every task.

Stopping: `stop()` (from a signal handler, another thread, or the task-scheduler actor's stop
method) makes the loop submit nothing more; measurements in flight get `drain_s` seconds to
finish and are delivered (a failed one is dropped: the signal may be what failed it), builds in
flight are dropped, and the run ends as usual (its results written, its TuneResult marked
interrupted). A KeyboardInterrupt inside the loop does the same.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import math
import time

from .. import _registry
from ..builder import BuilderInput, BuilderResult
from ..process.measure_slot import MeasureSlot
from ..profiler import Profiler
from ..runner import RunnerInput, RunnerResult
from ..tir import estimate_flops
from .task_record import Batch, TaskRecord
from .tune_result import TaskResult, TuneResult
from .waiter import wait_any

#: Seconds a stopped run waits for its in-flight measurements before dropping them.
DRAIN_S = 10.0


class _Item:
    """One candidate (or a task's baseline program) in the pipeline."""

    __slots__ = ("task_id", "batch", "cand", "stage", "future", "build_result")

    def __init__(self, task_id, batch, cand, stage):
        self.task_id = task_id
        self.batch = batch
        self.cand = cand
        self.stage = stage  # baseline | build | run
        self.future = None
        self.build_result = None


def device_type_of(target) -> str:
    return "cuda" if getattr(target, "kind", None) == "cuda" else "cpu"


def _search_hold(target):
    """While a CPU task's search runs, this machine's measurement slot is held shared, as a build
    holds it: the search takes a core, and a kernel timed beside it (candidates of the last batch
    still in flight) would read slow. A CUDA task's search does not disturb its GPU's timings."""
    return MeasureSlot().build() if device_type_of(target) == "cpu" else contextlib.nullcontext()


def _first_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[0] if lines else ""


class TaskScheduler(_registry.Registry):
    """Schedules tuning across tasks. Subclasses choose the next task (`next_task_id`).

    max_in_flight: candidates kept in the pipeline (default: twice the builder's plus the
    runner's parallelism, at least 4). progress_callback(snapshot: dict), if set, is called
    after each group of results (see `progress()`).
    """

    KINDS = {
        "round-robin": "raytune_ms.task_scheduler.round_robin:RoundRobin",
        "gradient": "raytune_ms.task_scheduler.gradient_based:GradientBased",
    }
    KIND_NOUN = "task scheduler"

    def __init__(self, *, max_in_flight: int | None = None, progress_callback=None):
        if max_in_flight is not None and int(max_in_flight) < 1:
            raise ValueError(f"max_in_flight must be >= 1, got {max_in_flight}")
        self.max_in_flight = max_in_flight
        self.progress_callback = progress_callback
        self.tasks: list[TaskRecord] = []
        self.logger = None
        self._stop = None  # (reason, monotonic deadline for in-flight measurements) once stopped

    # -- the choice subclasses make ------------------------------------------------------
    def next_task_id(self) -> int:
        """The task that draws the next batch, or -1 when no task can."""
        raise NotImplementedError

    def _reset(self) -> None:
        """Clear the subclass's selection state before a run."""

    # -- the reference's task calls ------------------------------------------------------
    def terminate_task(self, task_id: int, reason: str = "the run ended") -> None:
        """No more candidates for this task (its in-flight ones still report); `reason` is kept
        as the task's stop_reason."""
        task = self.tasks[task_id]
        if not task.is_terminated:
            task.is_terminated = True
            task.stop_reason = reason
            self._log(f"Task #{task_id} {task.task_name!r} terminated after {task.num_submitted} "
                      f"trials: {reason}")

    def touch_task(self, task_id: int) -> None:
        """Deliver whatever has finished, and terminate the task if it used its budget."""
        self._step(timeout=0)
        task = self.tasks[task_id]
        if task.num_submitted >= self.max_trials_per_task:
            self.terminate_task(task_id, "max_trials_per_task reached")

    def join_running_task(self, task_id: int) -> list[RunnerResult]:
        """Wait until none of the task's candidates is in flight; the results of its last
        completed batch."""
        task = self.tasks[task_id]
        while task.in_flight > 0:
            self._step(timeout=1.0)
        return list(task.last_batch_results)

    def stop(self, reason: str = "interrupted", drain_s: float = DRAIN_S) -> None:
        """End the run early: no more candidates; in-flight measurements may finish for `drain_s`
        seconds (a later call can shorten that), then every result is written and `tune`
        returns. Safe to call from a signal handler or another thread, also before `tune`."""
        deadline = time.monotonic() + max(0.0, float(drain_s))
        if self._stop is not None:
            reason, deadline = self._stop[0], min(deadline, self._stop[1])
        self._stop = (reason, deadline)

    @property
    def stopped(self) -> bool:
        """Whether `stop()` was called for this run."""
        return self._stop is not None

    # -- tuning --------------------------------------------------------------------------
    def tune(self, tasks, task_weights, max_trials_global: int, max_trials_per_task: int,
             num_trials_per_iter: int, builder, runner, measure_callbacks, database, cost_model) -> TuneResult:
        """Tune `tasks` (TuneContexts) until the budgets are spent or every task is done; the
        run's TuneResult (its profile holds the seconds of this run's phases)."""
        if len(task_weights) != len(tasks):
            raise ValueError(f"{len(tasks)} tasks but {len(task_weights)} task weights")
        if max_trials_global < 1:
            raise ValueError(f"max_trials_global must be >= 1, got {max_trials_global}")
        self.builder, self.runner = builder, runner
        self.measure_callbacks = list(measure_callbacks or [])
        self.database, self.cost_model = database, cost_model
        self.max_trials_global = int(max_trials_global)
        self.max_trials_per_task = int(max_trials_per_task or max_trials_global)
        self.num_trials_per_iter = int(num_trials_per_iter)
        self.tasks = [TaskRecord(ctx, w, estimate_flops(ctx.mod)) for ctx, w in zip(tasks, task_weights)]
        if self.logger is None:
            self.logger = logging.getLogger("raytune_ms.task_scheduler")
        self._items: list[_Item] = []
        self._pending: collections.deque = collections.deque()
        self._num_submitted = 0
        self._start_time = time.time()
        self._reset()
        with _library_messages_to(self.logger):
            builders = getattr(builder, "parallelism", 1)  # (sizes a Ray pool: before the runners')
            start = getattr(runner, "start", None)  # a pool that can start early (Ray actors)
            if callable(start) and self.tasks:
                start(device_type_of(self.tasks[0].ctx.target))
            runners = getattr(runner, "parallelism", 1)
            self._log(f"{builders} builder(s), {runners} runner(s)")
            self._capacity = int(self.max_in_flight or max(4, 2 * (builders + runners)))
            with Profiler() as profiler:
                try:
                    self._pre_tuning()
                    try:
                        self._loop()
                    except KeyboardInterrupt:
                        if self.stopped:
                            raise
                        self.stop()
                        self._loop()
                finally:
                    self._post_tuning()
        result = self.result(profile=profiler.get())
        self._stop = None  # the scheduler object can run again
        return result

    def _loop(self) -> None:
        while True:
            if self._stop is None:
                self._fill()
            else:
                self._wind_down()
            if not self._items:
                return
            self._step(timeout=0.2 if self._stop is not None else 1.0)

    def _wind_down(self) -> None:
        """After stop(): terminate every task, keep only measurements in flight, and drop
        those too once the drain deadline passed."""
        reason, deadline = self._stop
        for task_id in range(len(self.tasks)):
            self.terminate_task(task_id, reason)
        self._pending.clear()
        past = time.monotonic() >= deadline
        keep = []
        for item in self._items:
            if item.stage == "run" and not past:
                keep.append(item)
            elif item.stage != "baseline":
                self.tasks[item.task_id].in_flight -= 1
        for task in self.tasks:
            task.in_flight -= len(task.parked)
            task.parked = []
        self._items = keep

    def _log(self, message: str) -> None:
        if self.logger is not None:
            self.logger.info(message)

    def _pre_tuning(self) -> None:
        max_trials = min(self.max_trials_per_task, self.max_trials_global)
        for task_id, task in enumerate(self.tasks):
            ctx = task.ctx
            with Profiler.timeit("SpaceGenerator/GenerateDesignSpace"):
                spaces = ctx.generate_design_space()
            with Profiler.timeit("SearchStrategy/PreTuning"):
                ctx.pre_tuning(max_trials, self.num_trials_per_iter, spaces, self.database, self.cost_model)
            self._seed_best_from_database(task)
            task.baseline = ctx.baseline
            if task.baseline is not None:
                task.baseline_state = "ready"
            else:
                item = _Item(task_id, None, None, "baseline")
                item.future = self.builder.submit([BuilderInput(ctx.mod, ctx.target)])[0]
                task.baseline_state = "building"
                self._items.append(item)
            ctx.logger.info("Task #%d %r: %d design space(s), up to %d trials", task_id,
                            task.task_name, len(spaces), max_trials)

    def _seed_best_from_database(self, task: TaskRecord) -> None:
        if self.database is None:
            return
        try:
            record = self.database.query_tuning_record(task.ctx.mod, task.ctx.target, task.task_name)
        except Exception as err:  # a store that cannot answer does not stop tuning
            task.ctx.log_exception("reading the best record from the database failed", err)
            return
        if record is not None and record.is_valid():
            task.best_ms = 1e3 * record.mean_run_secs

    def _post_tuning(self) -> None:
        for task in self.tasks:
            try:
                task.ctx.post_tuning()
            except Exception as err:
                task.ctx.log_exception("post_tuning failed", err)
        for task_id in range(len(self.tasks)):
            self.terminate_task(task_id, "the global trial budget was used"
                                if self._budget_left() <= 0 else "the run ended")
        if self.database is not None:  # the measure callbacks write once per batch
            try:
                self.database.flush()
            except Exception as err:
                self.logger.error("writing the last records to the database failed: %s", err)
        self._log("\n" + self.tuning_statistics())

    # -- the pipeline --------------------------------------------------------------------
    def _budget_left(self) -> int:
        return self.max_trials_global - self._num_submitted

    def _fill(self) -> None:
        while len(self._items) < self._capacity:
            if self._budget_left() <= 0:
                self._drop_pending()
                return
            entry = self._next_candidate()
            if entry is None:
                return
            self._submit_build(*entry)

    def _drop_pending(self) -> None:
        while self._pending:
            task_id, batch, _ = self._pending.popleft()
            batch.expected -= 1
            self._close_batch_if_complete(self.tasks[task_id], batch)

    def _next_candidate(self):
        if self._pending:
            return self._pending.popleft()
        while True:
            with Profiler.timeit("TaskScheduler/NextTaskId"):
                task_id = self.next_task_id()
            if task_id is None or task_id < 0:
                return None
            if self._generate_batch(task_id):
                return self._pending.popleft()

    def _fair_share(self, task: TaskRecord) -> int:
        if task.num_submitted > 0:
            return self.num_trials_per_iter
        untouched = sum(1 for t in self.tasks if not t.is_terminated and t.num_submitted == 0)
        return max(1, self._budget_left() // max(1, untouched))

    def _generate_batch(self, task_id: int) -> bool:
        task = self.tasks[task_id]
        if task.is_terminated:
            return False
        if task.num_submitted >= self.max_trials_per_task:
            self.terminate_task(task_id, "max_trials_per_task reached")
            return False
        reason = None
        try:
            with Profiler.timeit("SearchStrategy/GenerateMeasureCandidates"), _search_hold(task.ctx.target):
                cands = task.ctx.generate_measure_candidates()
        except Exception as err:
            task.ctx.log_exception("generate_measure_candidates failed; the task stops", err)
            cands, reason = None, f"the search strategy failed: {type(err).__name__}: {err}"
        if not cands:
            strategy = task.ctx.search_strategy
            self.terminate_task(task_id, reason or getattr(strategy, "exhausted_reason", None)
                                or "the search strategy has no more candidates")
            return False
        limit = min(self.max_trials_per_task - task.num_submitted, self._fair_share(task))
        cands = list(cands)[:limit]
        batch = Batch(len(cands))
        for cand in cands:
            self._pending.append((task_id, batch, cand))
        return True

    def _submit_build(self, task_id: int, batch: Batch, cand) -> None:
        task = self.tasks[task_id]
        item = _Item(task_id, batch, cand, "build")
        with Profiler.timeit("Builder/Submit"):
            item.future = self.builder.submit([BuilderInput(cand.sch.mod, task.ctx.target)])[0]
        task.num_submitted += 1
        task.in_flight += 1
        self._num_submitted += 1
        self._items.append(item)

    def _submit_run(self, item: _Item) -> None:
        task = self.tasks[item.task_id]
        res = item.build_result
        baseline = task.baseline if task.baseline_state == "ready" else None
        runner_input = RunnerInput(
            res.artifact_path, device_type_of(task.ctx.target), item.cand.args_info,
            artifact=res.artifact, baseline=baseline,
        )
        with Profiler.timeit("Runner/Submit"):
            item.future = self.runner.run([runner_input])[0]
        item.stage = "run"
        self._items.append(item)

    def _step(self, timeout: float | None) -> None:
        """Wait for some in-flight work, then move everything that finished along."""
        if timeout != 0:
            with Profiler.timeit("TaskScheduler/Wait"):
                wait_any([it.future for it in self._items], timeout=timeout)
        done, still = [], []
        for item in self._items:
            (done if _is_done(item.future) else still).append(item)
        self._items = still
        finished = []
        for item in done:
            if item.stage == "baseline":
                self._on_reference(item)
            elif item.stage == "build":
                self._on_build(item, finished)
            else:
                self._on_run(item, finished)
        if finished:
            self._deliver(finished)

    def _on_reference(self, item: _Item) -> None:
        task = self.tasks[item.task_id]
        try:
            res = item.future.result()
        except Exception as err:
            res = BuilderResult(error_msg=f"{type(err).__name__}: {err}")
        if res.error_msg is None and (res.artifact is not None or res.artifact_path is not None):
            task.baseline = res.artifact if res.artifact is not None else _read(res.artifact_path)
            task.baseline_state = "ready"
        else:
            task.baseline_state = "failed"
            task.ctx.logger.warning(
                "the untransformed program did not build, so candidates are not checked for "
                "correctness: %s", res.error_msg,
            )
        parked, task.parked = task.parked, []
        for waiting in parked:
            self._submit_run(waiting)

    def _on_build(self, item: _Item, finished: list) -> None:
        try:
            res = item.future.result()
        except Exception as err:  # the builder itself failed for this candidate
            res = BuilderResult(error_msg=f"builder failed: {type(err).__name__}: {err}")
        item.build_result = res
        if self._stop is not None:  # stopping: nothing more is measured
            self.tasks[item.task_id].in_flight -= 1
            return
        if res.error_msg is not None or (res.artifact is None and res.artifact_path is None):
            finished.append((item, RunnerResult(error_msg=res.error_msg or "build produced no artifact")))
            return
        task = self.tasks[item.task_id]
        if task.baseline_state == "building":
            task.parked.append(item)
        else:
            self._submit_run(item)

    def _on_run(self, item: _Item, finished: list) -> None:
        try:
            result = item.future.result()
        except Exception as err:  # the runner itself failed for this candidate
            result = RunnerResult(error_msg=f"runner failed: {type(err).__name__}: {err}")
        if self._stop is not None and result.error_msg is not None:
            # the stop's signal may have killed it (a local runner's worker shares the
            # terminal's process group): not recorded, so a resumed run measures it again
            self.tasks[item.task_id].in_flight -= 1
            return
        finished.append((item, result))

    def _deliver(self, finished: list) -> None:
        by_task: dict[int, list] = collections.defaultdict(list)
        for item, result in finished:
            by_task[item.task_id].append((item, result))
        for task_id, group in by_task.items():
            task = self.tasks[task_id]
            cands = [it.cand for it, _ in group]
            builder_results = [it.build_result for it, _ in group]
            runner_results = [r for _, r in group]
            for item, result in group:
                ms = task.record(result)
                task.in_flight -= 1
                item.batch.results.append(result)
                self._log_result(task_id, task, result, ms)
                self._close_batch_if_complete(task, item.batch)
            try:
                with Profiler.timeit("SearchStrategy/NotifyRunnerResults"):
                    task.ctx.notify_runner_results(cands, runner_results)
            except Exception as err:
                task.ctx.log_exception("notify_runner_results failed", err)
            for callback in self.measure_callbacks:
                with Profiler.timeit(f"MeasureCallback/{type(callback).__name__}"):
                    callback.apply(self, task_id, cands, builder_results, runner_results)
        if self.progress_callback is not None:
            self.progress_callback(self.progress())

    def _close_batch_if_complete(self, task: TaskRecord, batch: Batch) -> None:
        if batch.complete and batch.results is not None and batch.expected >= 0:
            task.best_history.append(task.best_ms)
            task.last_batch_results = batch.results
            batch.expected = -1  # closed: never counted twice

    def _log_result(self, task_id: int, task: TaskRecord, result: RunnerResult, ms) -> None:
        n = task.num_trials
        if ms is None:
            task.ctx.logger.info("[%d] error: %s", n, _first_line(result.error_msg))
            task.ctx.logger.debug("[%d] full error:\n%s", n, result.error_msg)
        else:
            gflops = task.flop / (ms * 1e-3) / 1e9 if ms > 0 else 0.0
            task.ctx.logger.info("[%d] %.4f ms  %.2f GFLOP/s  (best %.4f ms, %.2f GFLOP/s)",
                                 n, ms, gflops, task.best_ms, task.gflops)

    # -- reporting -----------------------------------------------------------------------
    def result(self, profile: dict | None = None) -> TuneResult:
        """The run so far (or, after `tune`, the whole run) as a TuneResult."""
        tasks = tuple(
            TaskResult(task_name=t.task_name, flop=t.flop, weight=t.task_weight, trials=t.num_trials,
                       errors=t.num_errors, best_ms=t.best_ms if math.isfinite(t.best_ms) else None,
                       done=t.is_terminated and t.in_flight == 0, stop_reason=t.stop_reason)
            for t in self.tasks
        )
        start = getattr(self, "_start_time", None)
        return TuneResult(
            interrupted=self._stop is not None,
            tasks=tasks, trials_submitted=getattr(self, "_num_submitted", 0),
            max_trials_global=getattr(self, "max_trials_global", 0),
            wall_s=0.0 if start is None else time.time() - start, profile=dict(profile or {}),
            cost_model=getattr(self, "cost_model", None), database=getattr(self, "database", None),
        )

    def progress(self) -> dict:
        """A snapshot: trials done/submitted, the global budget, errors, elapsed seconds, and
        per task name, trials, errors, best_ms, gflops, done, stop_reason."""
        return self.result().progress()

    def tuning_statistics(self) -> str:
        """The per-task table of the run so far (see TuneResult.tuning_statistics)."""
        return self.result().tuning_statistics()

    def print_tuning_statistics(self) -> None:
        """Print the per-task statistics table."""
        print(self.tuning_statistics())

    @staticmethod
    def create(kind="gradient", *args, **kwargs) -> TaskScheduler:
        """A task scheduler: "gradient" or "round-robin"."""
        return TaskScheduler._create_kind(kind, *args, **kwargs)


class PyTaskScheduler(TaskScheduler):
    """The base for user task schedulers (decorate subclasses with `derived_object`):
    override next_task_id, and optionally tune / join_running_task."""


@contextlib.contextmanager
def _library_messages_to(logger):
    """What the library logs during the run under "raytune_ms.*" (a pool's actors that could
    not start, a store's unreadable part) goes to the run's log too."""
    library = logging.getLogger("raytune_ms")
    handlers = [h for h in getattr(logger, "handlers", []) if h not in library.handlers]
    for handler in handlers:
        library.addHandler(handler)
    try:
        yield
    finally:
        for handler in handlers:
            library.removeHandler(handler)


def _is_done(future) -> bool:
    """A future whose done() raises is done: its result() raises too, and becomes an error."""
    try:
        return future.done()
    except Exception:
        return True


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def create(kind="gradient", *args, **kwargs) -> TaskScheduler:
    """Same as `TaskScheduler.create`."""
    return TaskScheduler.create(kind, *args, **kwargs)
