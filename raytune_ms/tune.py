"""tune_tasks and tune_tir: the entry points of a tuning run.

The run path is one-way: tune_tir -> one TuneContext per PrimFunc (`tir_tasks`) -> the task
scheduler's `tune()`, in this process or, next to Ray builders and runners, in the actor their
class names (`scheduler_host`) -> a TuneResult back. `run_tuning` returns that result;
`tune_tasks`/`tune_tir` return its database, as the reference does.

Defaults differ from the reference where this project's design asks: builder and runner are
"ray" (actor pools; Ray starts locally when no cluster is attached), the database is the
Parquet store under work_dir. As in the reference, the strategy is "evolutionary" and the cost
model "xgb". A run resumes from the records in its database: programs measured before are not
measured again, and the evolutionary search trains its model on them before its first batch.

Ctrl-C or SIGTERM during a run stops it cleanly (see `stop_signal`): no more candidates, the
results measured so far are written, the pools shut down, and the TuneResult comes back marked
`interrupted`; tune_tasks/tune_tir then raise TuningInterrupted (a KeyboardInterrupt).
"""

from __future__ import annotations

import dataclasses
import os
import sys

from . import _registry
from .builder import Builder
from .cost_model import CostModel
from .database import Database
from .logging import get_loggers_from_work_dir
from .measure_callback import MeasureCallback
from .post_optimization import post_optimize
from .profiler import Profiler
from .progress import ProgressBar, interactive
from .remeasure import remeasure_best
from .runner import Runner
from .search_strategy.candidate_map import plug_candidate_map, unplug_candidate_map
from .stop_signal import StopOnSignal, TuningInterrupted, interrupted_line
from .task_scheduler import TaskScheduler, TuneResult
from .task_scheduler.task_scheduler import DRAIN_S, device_type_of
from .tir import IRModule, PrimFunc
from .tune_context import TuneContext


def resolve_database(database, work_dir: str, module_equality: str = "structural") -> Database:
    """A Database object: a kind name ("parquet", "json", "memory"; stored under work_dir), or
    the object itself."""
    if isinstance(database, str):
        return Database.create(database, work_dir=work_dir, module_equality=module_equality)
    return Database.create(database)


def _callbacks(measure_callbacks) -> list:
    if isinstance(measure_callbacks, (str, MeasureCallback)):
        return MeasureCallback.create(measure_callbacks)
    return list(measure_callbacks or [])


def _scheduler_host(builder, runner):
    """The function that runs the task scheduler next to the builder's or runner's workers
    (their class's `scheduler_host`), or None."""
    entry = getattr(builder, "scheduler_host", None) or getattr(runner, "scheduler_host", None)
    return None if entry is None else _registry.load(entry)


def _candidate_map_maker(builder, runner):
    """How to make the map of the search's slot work that the builder's or runner's layer
    offers (their class's `candidate_map_host`: a class taking the number of workers), or None."""
    entry = getattr(builder, "candidate_map_host", None) or getattr(runner, "candidate_map_host", None)
    return None if entry is None else _registry.load(entry)


def run_tuning(*, tasks: list, task_weights: list, work_dir: str, max_trials_global: int,
               max_trials_per_task: int | None = None, num_trials_per_iter: int = 64,
               builder="ray", runner="ray", database="parquet", cost_model="xgb",
               measure_callbacks="default", task_scheduler="gradient",
               module_equality: str = "structural", post_optimization: bool | None = False,
               progress_callback=None, scheduler_in_actor: bool | None = None,
               stop: StopOnSignal | None = None, remeasure_top_k: int = 0) -> TuneResult:
    """Tune `tasks` (TuneContexts); the run's TuneResult (per-task trials, best latency, stop
    reasons, profile, the trained cost model, and the database holding every record).

    progress_callback(snapshot) receives TaskScheduler.progress() as results arrive.
    scheduler_in_actor: run the task scheduler next to the workers, in the actor the builder's
    or runner's class names (default: when there is one and the database is a store both
    processes see, the Parquet store); otherwise the streaming loop runs in this process.
    stop: the StopOnSignal that stops the run on Ctrl-C/SIGTERM (default: a new one, active
    while the run is on); a stopped run returns normally, its result marked `interrupted`.
    post_optimization: after tuning (unless interrupted), a Droplet search around each task's
    best record (`post_optimization.PostOpt`, its defaults: 100 trials, p-value 0.05), its
    records added to the database; the run log says what it found.
    remeasure_top_k: after tuning (and post-optimization; unless interrupted), re-time each
    task's K best records side by side with more repeats (`remeasure.remeasure_best`), so that
    the database's best is an honest reading, not a lucky one; 0: no re-measurement.
    """
    if int(remeasure_top_k) < 0:
        raise ValueError(f"remeasure_top_k must be >= 0, got {remeasure_top_k!r}")
    os.makedirs(work_dir, exist_ok=True)
    if max_trials_per_task is None:
        max_trials_per_task = max_trials_global
    run_logger, task_loggers = get_loggers_from_work_dir(work_dir, [t.task_name for t in tasks])
    for ctx, logger in zip(tasks, task_loggers):
        ctx.logger = logger
    own_builder, own_runner = isinstance(builder, str), isinstance(runner, str)
    builder_arg, runner_arg = builder, runner
    runner = Runner.create(runner)
    try:
        _check_runner_devices(runner, tasks)
    except NotImplementedError:
        if own_runner:
            runner.shutdown()
        raise
    builder = Builder.create(builder)
    database = resolve_database(database, work_dir, module_equality)
    cost_model = None if cost_model is None else CostModel.create(cost_model)
    scheduler = TaskScheduler.create(task_scheduler)
    scheduler.logger = run_logger
    host = _scheduler_host(builder, runner)
    if scheduler_in_actor is None:
        scheduler_in_actor = host is not None and database.shared_store
    if scheduler_in_actor and (host is None or not database.shared_store):
        raise ValueError("scheduler_in_actor needs a Ray builder or runner and a database both "
                         "processes see (the Parquet store)")
    kwargs = dict(
        tasks=tasks, task_weights=list(task_weights), max_trials_global=max_trials_global,
        max_trials_per_task=max_trials_per_task, num_trials_per_iter=num_trials_per_iter,
        builder=builder, runner=runner, measure_callbacks=_callbacks(measure_callbacks),
        database=database, cost_model=cost_model,
    )
    records_before = len(database)
    run_logger.info("tuning %d task(s), %d trials, work_dir %s (its database holds %d records)",
                    len(tasks), max_trials_global, work_dir, records_before)
    stop = StopOnSignal() if stop is None else stop
    strategies = [ctx.search_strategy for ctx in tasks]
    make_map = _candidate_map_maker(builder, runner)
    cmap = None if make_map is None else plug_candidate_map(strategies, make_map)
    try:
        with stop:
            if scheduler_in_actor:
                result = host(scheduler, kwargs, work_dir, progress_callback, stop=stop)
                Profiler.add_to_active(result.profile)
            else:
                scheduler.progress_callback = progress_callback
                stop.on_stop(lambda force: scheduler.stop(drain_s=0.0 if force else DRAIN_S))
                result = scheduler.tune(**kwargs)
    finally:
        unplug_candidate_map(strategies, cmap)
        if own_builder:
            builder.shutdown()
        if own_runner:
            runner.shutdown()
    if post_optimization and not result.interrupted:
        post_optimize(tasks, work_dir, database, builder_arg, runner_arg, run_logger)
    if remeasure_top_k and not result.interrupted:
        remeasure_best(database, int(remeasure_top_k), tasks=tasks, builder=builder_arg, runner=runner_arg,
                       logger=run_logger)
    database.flush()
    result = dataclasses.replace(result, database=database, records_saved=len(database) - records_before)
    if result.interrupted:
        run_logger.info(interrupted_line(result.trials, result.records_saved))
    return result


def tune_tasks(**kwargs) -> Database:
    """Tune `tasks` (TuneContexts) and return the database holding every record. Takes the
    arguments of `run_tuning`, which returns the run's TuneResult instead.

    Ctrl-C/SIGTERM: the run stops, writes what it measured, then TuningInterrupted (a
    KeyboardInterrupt carrying `.result` and `.database`) is raised, so a script stops too."""
    result = run_tuning(**kwargs)
    if result.interrupted:
        raise TuningInterrupted(result)
    return result.database


def tir_tasks(mod, target, *, space="post-order-apply", strategy="evolutionary",
              num_tuning_cores="physical", seed: int | None = None,
              special_space: dict | None = None, baseline=None,
              task_name: str | None = None) -> list[TuneContext]:
    """One TuneContext per PrimFunc of `mod` (a PrimFunc or IRModule), named after it.

    task_name: the name of a PrimFunc's task (default "main"), stored with its records (the
    `db` commands find them by it); an IRModule's tasks are named after its functions.

    space: a SpaceGenerator, a schedule function, or a kind name; special_space maps a
    function's name to its own space. baseline: what candidates are checked against (see
    TuneContext); a dict maps function names to baselines.
    """
    if isinstance(mod, PrimFunc):
        funcs = [(task_name or "main", mod)]
    elif isinstance(mod, IRModule):
        funcs = list(mod.functions)
    else:
        raise TypeError(f"tune_tir expects a PrimFunc or IRModule, got {type(mod).__name__}")
    special_space = dict(special_space or {})
    baselines = baseline if isinstance(baseline, dict) else {name: baseline for name, _ in funcs}
    return [
        TuneContext(
            IRModule.from_any(func),
            target=target,
            space_generator=_fresh(special_space.get(name, space), len(funcs)),
            search_strategy=_fresh(strategy, len(funcs)),
            task_name=name,
            rand_state=-1 if seed is None else seed,
            num_threads=num_tuning_cores,
            baseline=baselines.get(name),
        )
        for name, func in funcs
    ]


def _check_runner_devices(runner, tasks) -> None:
    """Refuse at once, not after the search has built a batch, tasks whose device the runner
    cannot measure (a runner without `device_types` is taken to measure anything)."""
    kinds = getattr(runner, "device_types", None)
    if kinds is None:
        return
    for ctx in tasks:
        device = device_type_of(ctx.target)
        if device not in kinds:
            from .runner.cuda_evaluate import gpu_unavailable_reason

            gpu = gpu_unavailable_reason() if device == "cuda" else None
            raise NotImplementedError(
                f"task {ctx.task_name!r}: target {str(ctx.target)!r} needs a {device!r} runner, and "
                f"{type(runner).__name__} measures only {', '.join(kinds)} here{'; ' + gpu if gpu else ''}. "
                "Design spaces and NVRTC builds work without measuring: see "
                "raytune_ms.testing.design_spaces.replays and codegen.cuda_build.build_cuda")


def tune_tir(mod, target, work_dir: str, max_trials_global: int, *,
             max_trials_per_task: int | None = None, num_trials_per_iter: int = 64,
             builder="ray", runner="ray", database="parquet", cost_model="xgb",
             measure_callbacks="default", task_scheduler="gradient", space="post-order-apply",
             strategy="evolutionary", num_tuning_cores="physical", seed: int | None = None,
             module_equality: str = "structural", special_space: dict | None = None,
             post_optimization: bool | None = False, baseline=None, progress_callback=None,
             scheduler_in_actor: bool | None = None, task_name: str | None = None,
             progress: bool | None = None, remeasure_top_k: int = 0) -> Database:
    """Tune a PrimFunc, or every PrimFunc of an IRModule (one task each, weight 1), and return
    the database with all tuning records (by default the Parquet store under work_dir/database).

    space, special_space, baseline, task_name: see `tir_tasks`. remeasure_top_k: see
    `run_tuning`. seed: makes the search
    reproducible. progress: a progress bar on stderr and a one-line summary at the end (default:
    when interactive, a notebook or a terminal; a notebook's widget needs ipywidgets); ignored
    when a progress_callback is given.

    Ctrl-C (a notebook's interrupt) or SIGTERM stops the run cleanly: every result measured so
    far is written to the database, the pools shut down, then TuningInterrupted - a
    KeyboardInterrupt whose `.database` holds the records and `.result` the TuneResult - is
    raised, so a script or cell stops there too. Calling tune_tir again resumes.
    """
    tasks = tir_tasks(mod, target, space=space, strategy=strategy, num_tuning_cores=num_tuning_cores,
                      seed=seed, special_space=special_space, baseline=baseline, task_name=task_name)
    bar = None
    if progress_callback is None and (progress if progress is not None else interactive()):
        bar = progress_callback = ProgressBar(max_trials_global)
    try:
        result = run_tuning(
            tasks=tasks, task_weights=[1.0] * len(tasks), work_dir=work_dir,
            max_trials_global=max_trials_global, max_trials_per_task=max_trials_per_task,
            num_trials_per_iter=num_trials_per_iter, builder=builder, runner=runner, database=database,
            cost_model=cost_model, measure_callbacks=measure_callbacks, task_scheduler=task_scheduler,
            module_equality=module_equality, post_optimization=post_optimization,
            progress_callback=progress_callback, scheduler_in_actor=scheduler_in_actor,
            remeasure_top_k=remeasure_top_k,
        )
        if bar is not None:
            bar(result.progress())
    finally:
        if bar is not None:
            bar.close()
    if result.interrupted:
        raise TuningInterrupted(result)
    if bar is not None:
        print(result.summary_line(), file=sys.stderr, flush=True)
    return result.database


def _fresh(part, n_tasks: int):
    """One space generator / strategy object per task: the given one for a single task, clones
    otherwise (kind names and schedule functions are shared as they are)."""
    return part.clone() if n_tasks > 1 and hasattr(part, "clone") else part
