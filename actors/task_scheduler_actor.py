"""The task scheduler as a Ray actor on the driver's node.

The streaming loop runs in this actor, so the driver (a notebook, the CLI) only polls a
progress snapshot, and the loop keeps its builders and runners (actors it owns) busy without
depending on the driver's event loop. It is pinned to the driver's node because the run's
log files live under the driver's work_dir. It needs a database that both processes see (the
Parquet store: pickled, it reopens the same path). The run comes back as the scheduler's
TuneResult: nothing of the actor's state is copied into the driver's objects.
"""

from __future__ import annotations

import dataclasses

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from raytune_ms.logging import get_loggers_from_work_dir
from raytune_ms.task_scheduler import TuneResult

from .ray_init import current_node_id, init_ray


@ray.remote(num_cpus=0, max_concurrency=2, max_restarts=0)
class TaskSchedulerActor:
    def __init__(self):
        self.scheduler = None

    def tune(self, scheduler, kwargs: dict, work_dir: str) -> TuneResult:
        tasks = kwargs["tasks"]
        run_logger, task_loggers = get_loggers_from_work_dir(work_dir, [t.task_name for t in tasks])
        for ctx, logger in zip(tasks, task_loggers):
            ctx.logger = logger
        scheduler.logger = run_logger
        scheduler.progress_callback = None
        self.scheduler = scheduler
        try:  # the driver has the database open itself: it does not travel back
            return dataclasses.replace(scheduler.tune(**kwargs), database=None)
        finally:
            kwargs["builder"].shutdown()
            kwargs["runner"].shutdown()

    def progress(self):
        return None if self.scheduler is None else self.scheduler.progress()


def tune_in_actor(scheduler, kwargs: dict, work_dir: str, progress_callback=None,
                  poll_s: float = 0.5) -> TuneResult:
    """Run `scheduler.tune(**kwargs)` in a TaskSchedulerActor on this node, relaying progress
    snapshots to `progress_callback` while it runs; its TuneResult comes back."""
    init_ray()
    actor = TaskSchedulerActor.options(
        scheduling_strategy=NodeAffinitySchedulingStrategy(current_node_id(), soft=False)
    ).remote()
    try:
        ref = actor.tune.remote(scheduler, kwargs, work_dir)
        while True:
            ready, _ = ray.wait([ref], timeout=poll_s)
            if progress_callback is not None:
                snapshot = ray.get(actor.progress.remote())
                if snapshot is not None:
                    progress_callback(snapshot)
            if ready:
                return ray.get(ref)
    finally:
        ray.kill(actor, no_restart=True)
