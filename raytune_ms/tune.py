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
"""

from __future__ import annotations

import dataclasses
import os

from . import _registry
from .builder import Builder
from .cost_model import CostModel
from .database import Database
from .logging import get_loggers_from_work_dir
from .measure_callback import MeasureCallback
from .profiler import Profiler
from .runner import Runner
from .task_scheduler import TaskScheduler, TuneResult
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


def run_tuning(*, tasks: list, task_weights: list, work_dir: str, max_trials_global: int,
               max_trials_per_task: int | None = None, num_trials_per_iter: int = 64,
               builder="ray", runner="ray", database="parquet", cost_model="xgb",
               measure_callbacks="default", task_scheduler="gradient",
               module_equality: str = "structural", post_optimization: bool | None = False,
               progress_callback=None, scheduler_in_actor: bool | None = None) -> TuneResult:
    """Tune `tasks` (TuneContexts); the run's TuneResult (per-task trials, best latency, stop
    reasons, profile, the trained cost model, and the database holding every record).

    progress_callback(snapshot) receives TaskScheduler.progress() as results arrive.
    scheduler_in_actor: run the task scheduler next to the workers, in the actor the builder's
    or runner's class names (default: when there is one and the database is a store both
    processes see, the Parquet store); otherwise the streaming loop runs in this process.
    """
    if post_optimization:
        raise NotImplementedError("post_optimization (Droplet search) is not available yet")
    os.makedirs(work_dir, exist_ok=True)
    if max_trials_per_task is None:
        max_trials_per_task = max_trials_global
    run_logger, task_loggers = get_loggers_from_work_dir(work_dir, [t.task_name for t in tasks])
    for ctx, logger in zip(tasks, task_loggers):
        ctx.logger = logger
    own_builder, own_runner = isinstance(builder, str), isinstance(runner, str)
    builder, runner = Builder.create(builder), Runner.create(runner)
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
    run_logger.info("tuning %d task(s), %d trials, work_dir %s", len(tasks), max_trials_global, work_dir)
    try:
        if scheduler_in_actor:
            result = host(scheduler, kwargs, work_dir, progress_callback)
            Profiler.add_to_active(result.profile)
        else:
            scheduler.progress_callback = progress_callback
            result = scheduler.tune(**kwargs)
    finally:
        if own_builder:
            builder.shutdown()
        if own_runner:
            runner.shutdown()
    database.flush()
    return dataclasses.replace(result, database=database)


def tune_tasks(**kwargs) -> Database:
    """Tune `tasks` (TuneContexts) and return the database holding every record. Takes the
    arguments of `run_tuning`, which returns the run's TuneResult instead."""
    return run_tuning(**kwargs).database


def tir_tasks(mod, target, *, space="post-order-apply", strategy="evolutionary",
              num_tuning_cores="physical", seed: int | None = None,
              special_space: dict | None = None, baseline=None) -> list[TuneContext]:
    """One TuneContext per PrimFunc of `mod` (a PrimFunc or IRModule), named after it.

    space: a SpaceGenerator, a schedule function, or a kind name; special_space maps a
    function's name to its own space. baseline: what candidates are checked against (see
    TuneContext); a dict maps function names to baselines.
    """
    if isinstance(mod, PrimFunc):
        funcs = [("main", mod)]
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


def tune_tir(mod, target, work_dir: str, max_trials_global: int, *,
             max_trials_per_task: int | None = None, num_trials_per_iter: int = 64,
             builder="ray", runner="ray", database="parquet", cost_model="xgb",
             measure_callbacks="default", task_scheduler="gradient", space="post-order-apply",
             strategy="evolutionary", num_tuning_cores="physical", seed: int | None = None,
             module_equality: str = "structural", special_space: dict | None = None,
             post_optimization: bool | None = False, baseline=None, progress_callback=None,
             scheduler_in_actor: bool | None = None) -> Database:
    """Tune a PrimFunc, or every PrimFunc of an IRModule (one task each, weight 1), and return
    the database with all tuning records (by default the Parquet store under work_dir/database).

    space, special_space, baseline: see `tir_tasks`. seed: makes the search reproducible.
    """
    tasks = tir_tasks(mod, target, space=space, strategy=strategy, num_tuning_cores=num_tuning_cores,
                      seed=seed, special_space=special_space, baseline=baseline)
    return tune_tasks(
        tasks=tasks, task_weights=[1.0] * len(tasks), work_dir=work_dir,
        max_trials_global=max_trials_global, max_trials_per_task=max_trials_per_task,
        num_trials_per_iter=num_trials_per_iter, builder=builder, runner=runner, database=database,
        cost_model=cost_model, measure_callbacks=measure_callbacks, task_scheduler=task_scheduler,
        module_equality=module_equality, post_optimization=post_optimization,
        progress_callback=progress_callback, scheduler_in_actor=scheduler_in_actor,
    )


def _fresh(part, n_tasks: int):
    """One space generator / strategy object per task: the given one for a single task, clones
    otherwise (kind names and schedule functions are shared as they are)."""
    return part.clone() if n_tasks > 1 and hasattr(part, "clone") else part
