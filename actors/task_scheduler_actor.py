"""The task scheduler as a Ray actor on the driver's node.

The streaming loop runs in this actor, so the driver (a notebook, the CLI) only polls a
progress snapshot, and the loop keeps its builders and runners (actors it owns) busy without
depending on the driver's event loop. It is pinned to the driver's node because the run's
log files live under the driver's work_dir. It needs a database that both processes see (the
Parquet store: pickled, it reopens the same path). The run comes back as the scheduler's
TuneResult: nothing of the actor's state is copied into the driver's objects.

A stop of the driver (Ctrl-C, SIGTERM: see raytune_ms.stop_signal) becomes the actor's `stop`:
the loop ends, the actor writes every result it holds and returns its TuneResult; the driver
waits up to the drain time plus `FLUSH_WAIT_S` for it before it kills the actor.
"""

from __future__ import annotations

import dataclasses
import time

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from raytune_ms.logging import get_loggers_from_work_dir
from raytune_ms.task_scheduler import TuneResult
from raytune_ms.task_scheduler.task_scheduler import DRAIN_S

from .ray_init import current_node_id, init_ray

#: Seconds the driver waits, past the drain time, for a stopped actor's last writes.
FLUSH_WAIT_S = 120.0


@ray.remote(num_cpus=0, max_concurrency=2, max_restarts=0)
class TaskSchedulerActor:
    def __init__(self):
        self.scheduler = None
        self._stops: list = []  # stop() calls that came before tune()

    def tune(self, scheduler, kwargs: dict, work_dir: str) -> TuneResult:
        tasks = kwargs["tasks"]
        run_logger, task_loggers = get_loggers_from_work_dir(work_dir, [t.task_name for t in tasks])
        for ctx, logger in zip(tasks, task_loggers):
            ctx.logger = logger
        scheduler.logger = run_logger
        scheduler.progress_callback = None
        for args in self._stops:
            scheduler.stop(*args)
        self.scheduler = scheduler
        try:  # the driver has the database open itself: it does not travel back
            return dataclasses.replace(scheduler.tune(**kwargs), database=None)
        finally:
            kwargs["builder"].shutdown()
            kwargs["runner"].shutdown()
            for ctx in tasks:  # the search's workers, started here
                cmap = getattr(ctx.search_strategy, "candidate_map", None)
                if cmap is not None:
                    cmap.shutdown()

    def stop(self, reason: str = "interrupted", drain_s: float = DRAIN_S) -> None:
        """End the run (see TaskScheduler.stop); runs beside tune() (max_concurrency=2)."""
        self._stops.append((reason, drain_s))
        if self.scheduler is not None:
            self.scheduler.stop(reason, drain_s)

    def progress(self):
        return None if self.scheduler is None else self.scheduler.progress()


def tune_in_actor(scheduler, kwargs: dict, work_dir: str, progress_callback=None,
                  poll_s: float = 0.5, stop=None) -> TuneResult:
    """Run `scheduler.tune(**kwargs)` in a TaskSchedulerActor on this node, relaying progress
    snapshots to `progress_callback` while it runs; its TuneResult comes back.

    stop: a StopOnSignal whose requests are passed on to the actor (a KeyboardInterrupt here
    is one too); after a stop the driver waits a bounded time for the actor's result."""
    init_ray()
    actor = TaskSchedulerActor.options(
        scheduling_strategy=NodeAffinitySchedulingStrategy(current_node_id(), soft=False)
    ).remote()
    stops = []  # drain seconds of each stop request, in order

    def on_stop(force: bool) -> None:
        stops.append(0.0 if force else DRAIN_S)

    if stop is not None:
        stop.on_stop(on_stop)
    sent, deadline = 0, None
    try:
        ref = actor.tune.remote(scheduler, kwargs, work_dir)
        while True:
            try:
                ready, _ = ray.wait([ref], timeout=poll_s)
            except KeyboardInterrupt:  # no signal handler here (not the main thread)
                if len(stops) >= 2:
                    raise
                stops.append(0.0 if stops else DRAIN_S)
                ready = []
            for drain_s in stops[sent:]:
                actor.stop.remote("interrupted", drain_s)
                deadline = time.monotonic() + drain_s + FLUSH_WAIT_S
            sent = len(stops)
            if progress_callback is not None:
                snapshot = ray.get(actor.progress.remote())
                if snapshot is not None:
                    progress_callback(snapshot)
            if ready:
                return ray.get(ref)
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"the task-scheduler actor did not return within {FLUSH_WAIT_S:.0f} s "
                                   "of being stopped; results it had not written are lost")
    finally:
        ray.kill(actor, no_restart=True)
