"""tune_tasks and tune_tir: the entry points of a tuning run.

Defaults differ from the reference where this project's design asks: builder and runner are
"ray" (actor pools; Ray starts locally when no cluster is attached), the database is the
Parquet store under work_dir, and — until the evolutionary search and learned models land —
the cost model is "random" and the strategy "replay-trace". A run resumes from the records in
its database: traces measured before are not measured again.
"""

from __future__ import annotations

import os

from .builder import Builder
from .cost_model import CostModel
from .database import Database
from .logging import get_loggers_from_work_dir
from .measure_callback import MeasureCallback
from .runner import Runner
from .task_scheduler import TaskScheduler
from .tir import IRModule, PrimFunc
from .tune_context import TuneContext, normalize_mod

def _is_ray(obj) -> bool:
    return type(obj).__module__.startswith("actors.")


def resolve_database(database, work_dir: str, module_equality: str = "structural") -> Database:
    """A Database object from a kind name (stored under work_dir) or an object."""
    if database is None or database == "parquet":
        return Database.create("parquet", os.path.join(work_dir, "database"), module_equality=module_equality)
    if database == "json":
        return Database.create("json", work_dir=work_dir, module_equality=module_equality)
    if database == "memory":
        return Database.create("memory", module_equality=module_equality)
    if isinstance(database, Database):
        return database
    raise ValueError(f"database must be 'parquet', 'json', 'memory' or a Database, got {database!r}")


def _resolve(value, base, what):
    if isinstance(value, str):
        return base.create(value), True
    if value is None or not isinstance(value, base):
        raise TypeError(f"{what} must be a kind name or a {base.__name__}, got {value!r}")
    return value, False


def _callbacks(measure_callbacks) -> list:
    if measure_callbacks == "default" or isinstance(measure_callbacks, str):
        return MeasureCallback.create(measure_callbacks)
    if isinstance(measure_callbacks, MeasureCallback):
        return [measure_callbacks]
    return list(measure_callbacks or [])


def _shared_store(database) -> bool:
    """Whether a copy of `database` pickled into another process writes where this one reads."""
    from .database import ParquetDatabase

    return isinstance(database, ParquetDatabase)


def tune_tasks(*, tasks: list, task_weights: list, work_dir: str, max_trials_global: int,
               max_trials_per_task: int | None = None, num_trials_per_iter: int = 64,
               builder="ray", runner="ray", database="parquet", cost_model="random",
               measure_callbacks="default", task_scheduler="gradient",
               module_equality: str = "structural", post_optimization: bool | None = False,
               progress_callback=None, scheduler_in_actor: bool | None = None) -> Database:
    """Tune `tasks` (TuneContexts) and return the database holding every record.

    Pass a TaskScheduler object as task_scheduler to read its statistics afterwards
    (`print_tuning_statistics()`).
    progress_callback(snapshot) receives TaskScheduler.progress() as results arrive.
    scheduler_in_actor: run the task scheduler in a Ray actor on this node (default: when the
    builder or runner is a Ray one and the database is a shared Parquet store); otherwise the
    streaming loop runs in this process.
    """
    os.makedirs(work_dir, exist_ok=True)
    if max_trials_per_task is None:
        max_trials_per_task = max_trials_global
    run_logger, task_loggers = get_loggers_from_work_dir(work_dir, [t.task_name for t in tasks])
    for ctx, logger in zip(tasks, task_loggers):
        ctx.logger = logger
    builder, own_builder = _resolve(builder, Builder, "builder")
    runner, own_runner = _resolve(runner, Runner, "runner")
    database = resolve_database(database, work_dir, module_equality)
    if isinstance(cost_model, str):
        cost_model = CostModel.create(cost_model)
    callbacks = _callbacks(measure_callbacks)
    scheduler = TaskScheduler.create(task_scheduler)
    scheduler.logger = run_logger
    uses_ray = _is_ray(builder) or _is_ray(runner)
    if scheduler_in_actor is None:
        scheduler_in_actor = uses_ray and _shared_store(database)
    if scheduler_in_actor and not _shared_store(database):
        raise ValueError("scheduler_in_actor needs a database both processes see (the Parquet store)")
    if uses_ray:
        from actors.ray_init import init_ray

        init_ray()
    kwargs = dict(
        tasks=tasks, task_weights=list(task_weights), max_trials_global=max_trials_global,
        max_trials_per_task=max_trials_per_task, num_trials_per_iter=num_trials_per_iter,
        builder=builder, runner=runner, measure_callbacks=callbacks, database=database,
        cost_model=cost_model,
    )
    run_logger.info("tuning %d task(s), %d trials, work_dir %s", len(tasks), max_trials_global, work_dir)
    try:
        if scheduler_in_actor:
            _tune_in_actor(scheduler, kwargs, work_dir, progress_callback)
        else:
            scheduler.progress_callback = progress_callback
            scheduler.tune(**kwargs)
    finally:
        if own_builder:
            builder.shutdown()
        if own_runner:
            runner.shutdown()
    if hasattr(database, "flush"):
        database.flush()
    if post_optimization:
        from .post_optimization import PostOpt

        PostOpt(work_dir, tasks[0].target).run()
    return database


def _tune_in_actor(scheduler, kwargs, work_dir, progress_callback) -> None:
    from actors.tune_driver import run_in_actor

    state = run_in_actor(scheduler, kwargs, work_dir, progress_callback)
    # the driver's objects take the run's final state, so statistics and models read as if
    # the loop had run here
    scheduler.tasks = state["tasks"]
    scheduler._num_submitted = state["num_submitted"]
    scheduler._start_time = state["start_time"]
    scheduler.max_trials_global = kwargs["max_trials_global"]
    for ctx, task in zip(kwargs["tasks"], scheduler.tasks):
        task.ctx = ctx
    model = kwargs["cost_model"]
    if model is not None and type(state["cost_model"]) is type(model):
        model.__dict__.update(state["cost_model"].__dict__)
    for name, secs in state["profile"].items():
        if name != "Total":
            for prof in _active_profilers():
                prof._add(name, secs)


def _active_profilers():
    from .profiler import _stack

    return list(_stack())


def tune_tir(mod, target, work_dir: str, max_trials_global: int, *,
             max_trials_per_task: int | None = None, num_trials_per_iter: int = 64,
             builder="ray", runner="ray", database="parquet", cost_model="random",
             measure_callbacks="default", task_scheduler="gradient", space="post-order-apply",
             strategy="replay-trace", num_tuning_cores="physical", seed: int | None = None,
             module_equality: str = "structural", special_space: dict | None = None,
             post_optimization: bool | None = False, progress_callback=None,
             scheduler_in_actor: bool | None = None) -> Database:
    """Tune a PrimFunc, or every PrimFunc of an IRModule (one task each, weight 1).

    space: a SpaceGenerator, a schedule function, or a kind name; special_space maps a
    function's name to its own space. seed: makes the search reproducible. Returns the
    database with all tuning records (by default the Parquet store under work_dir/database).
    """
    if isinstance(mod, PrimFunc):
        funcs = [("main", mod)]
    elif isinstance(mod, IRModule):
        funcs = list(mod.functions)
    else:
        raise TypeError(f"tune_tir expects a PrimFunc or IRModule, got {type(mod).__name__}")
    special_space = dict(special_space or {})
    tasks = []
    for name, func in funcs:
        tasks.append(TuneContext(
            normalize_mod(func),
            target=target,
            space_generator=_fresh(special_space.get(name, space), len(funcs)),
            search_strategy=_fresh(strategy, len(funcs)),
            task_name=name,
            rand_state=-1 if seed is None else seed,
            num_threads=num_tuning_cores,
        ))
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
