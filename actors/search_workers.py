"""RayCandidateMap: the evolutionary search's slot work on a few long-lived worker actors and
the search's own process.

While the search chooses a batch, the builders and runners wait for it, so their cores idle:
the actors reserve no CPU and run on the search's node. Of `num_workers` processes, num_workers
- 1 are actors and one is the search's: it works its share of every list of jobs while the
actors work theirs (it would otherwise wait idle), with a twin of the session's SlotWorker
that does not ship: its results are an actor's (the same keys, hashes and feature rows) with
their candidates kept, so it neither hashes a program nobody asks about nor replays again the
ones it hands out. Its share of a list follows the last list's seconds per job here and on an
actor (an actor's job costs more: it hashes and serialises every program), and takes first the
mutations of parents this process made (its replay cache holds their states).

A search run opens a session: its SlotWorker (module, design spaces, postprocessors, mutators,
feature extractor) goes to the object store once, and each actor unpickles it at its first job
of the session; after that a call carries only small jobs (and once per generation the
population's traces as JSON) and brings back small results (trace key, structural hash,
feature rows, trace text).

Until the first actor has started (an actor's start imports the library: seconds), the jobs
are done in the search's process. A call whose actor dies is sent again to a replacement
(which fetches the session's worker itself); a call that still finds no live actor, or whose
jobs raise, is done in the search's process by the same worker, so a lost actor costs time,
never the batch nor the run.
"""

from __future__ import annotations

import os
import time
import uuid
from collections import OrderedDict

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from raytune_ms.schedule.replay_cache import release_replay_cache
from raytune_ms.search_strategy.candidate_map import CandidateMap
from raytune_ms.search_strategy.gc_pause import gc_paused, gc_thaw
from raytune_ms.search_strategy.slot_worker import MutateJob

from .actor_pool import ActorCall, ActorPool, PoolHolder, logger
from .ray_init import current_node_id, init_ray

#: calls per actor a list of jobs is cut into (smaller pieces even out slow slots)
PIECES_PER_WORKER = 4
#: lists shorter than this are worked in this process: a call to an actor costs it ~15-30 ms on a
#: 2-core node (the parents' unpickling, the wake-up), as much as ~10 slot jobs (the few slots
#: of a generation redone after a copy collided are such lists)
SMALL_LIST = 16
#: sessions an actor keeps the worker of (tasks tuned one after the other)
SESSIONS_KEPT = 4


@ray.remote(num_cpus=0, max_restarts=0, max_concurrency=1)
class SearchWorkerActor:
    def __init__(self):
        self.workers: OrderedDict = OrderedDict()  # session id -> SlotWorker

    def pid(self) -> int:
        return os.getpid()

    def run(self, session: str, boxed_worker: list, parents: list, jobs: list) -> tuple:
        """(CPU seconds, results) of `jobs` of `session` (boxed_worker: [ObjectRef of its
        SlotWorker], boxed so that only an actor without it fetches it)."""
        cpu = time.process_time()
        worker = self.workers.get(session)
        if worker is None:
            worker = self.workers[session] = ray.get(boxed_worker[0])
            if len(self.workers) > SESSIONS_KEPT:
                self.workers.popitem(last=False)
        with gc_paused():
            out = worker.run(jobs, parents)
        return time.process_time() - cpu, out

    def close(self, session: str) -> None:
        worker = self.workers.pop(session, None)
        if worker is not None:
            release_replay_cache(worker.mod)
            if not self.workers:
                gc_thaw()


class RayCandidateMap(PoolHolder, CandidateMap):
    """num_workers: the processes that work the slots, this one included (>= 2): the pool has
    num_workers - 1 actors (started at the first session, kept for the run's tasks).
    max_retries: re-sends of a call whose actor died before it is done in process.
    worker_cpu_s: the CPU seconds the actors spent on jobs (benchmarks)."""

    ships = True

    def __init__(self, num_workers: int, max_retries: int = 2):
        if int(num_workers) < 2:
            raise ValueError(f"RayCandidateMap.num_workers must be >= 2 (this process and an actor), "
                             f"got {num_workers}")
        self.num_workers = int(num_workers)
        self.max_retries = int(max_retries)
        self.worker_cpu_s = 0.0
        self._pool = None

    def pool(self) -> ActorPool:
        if self._pool is None:
            init_ray()
            near = NodeAffinitySchedulingStrategy(current_node_id(), soft=True)

            def make(index, name):
                return SearchWorkerActor.options(name=name, scheduling_strategy=near).remote()

            self._pool = ActorPool(make, self.num_workers - 1, "search", resources={"CPU": 0})
        return self._pool

    def open(self, worker):
        self.pool()  # (its actors start while the search draws its first jobs)
        return _RaySession(self, worker)


class _RaySession:
    def __init__(self, cmap: RayCandidateMap, worker):
        self.cmap = cmap
        self.worker = worker.twin(False)  # this process's share, and a piece no actor could do
        self.id = uuid.uuid4().hex
        self.boxed = [ray.put(worker)]
        self.seconds_per_job = [1.0, 1.0]  # (this process, an actor): their ratio sets the share

    def map(self, jobs: list, parents: list) -> list:
        pool = self.cmap.pool()
        try:
            started = pool.started()
        except RuntimeError as err:  # none can start: the search goes on in process
            logger.warning("search worker: %s; the search works in process", err)
            started = 0
        if not started or len(jobs) < SMALL_LIST:
            return self.worker.run(jobs, parents)
        shipped = ray.put(parents) if parents else []
        local, actor = self.seconds_per_job
        mine, theirs = self._split(jobs, parents, round(len(jobs) * actor / (started * local + actor)))
        n = max(1, min(len(theirs), started * PIECES_PER_WORKER))
        bounds = [len(theirs) * i // n for i in range(n + 1)]
        pieces = [theirs[bounds[i]:bounds[i + 1]] for i in range(n) if bounds[i + 1] > bounds[i]]
        calls = [ActorCall(pool, lambda actor, piece=piece: (actor.run.remote(self.id, self.boxed, shipped,
                                                                              [jobs[i] for i in piece]),),
                           on_value=lambda value, refs: value, on_error=self._failed, on_lost=self._lost,
                           max_retries=self.cmap.max_retries)
                 for piece in pieces]
        out = [None] * len(jobs)
        start = time.perf_counter()
        for i, result in zip(mine, self.worker.run([jobs[i] for i in mine], parents)):  # (while the actors work)
            out[i] = result
        local = time.perf_counter() - start
        actor = 0.0
        for piece, call in zip(pieces, calls):
            got = call.result()
            if got is None:
                got = (0.0, self.worker.run([jobs[i] for i in piece], parents))
            actor += got[0]
            for i, result in zip(piece, got[1]):
                out[i] = result
        self.cmap.worker_cpu_s += actor
        if mine and theirs and actor > 0:
            self.seconds_per_job = [local / len(mine), actor / len(theirs)]
        return out

    def _split(self, jobs: list, parents: list, share: int) -> tuple[list, list]:
        """(positions of this process's `share` jobs, the actors' positions): this process takes
        first the mutations of parents it made (its replay cache holds their states; an actor
        would replay them from further up), then from the end of the list."""
        made_here = [i for i, job in enumerate(jobs)
                     if isinstance(job, MutateJob) and self.worker.made(parents[job.attempts[job.start][0]])]
        mine = set(made_here[:share])
        for i in range(len(jobs) - 1, -1, -1):
            if len(mine) >= share:
                break
            mine.add(i)
        return sorted(mine), [i for i in range(len(jobs)) if i not in mine]

    @staticmethod
    def _failed(err):
        logger.warning("search worker: a piece of slot jobs raised (%s); doing it in process", err)

    @staticmethod
    def _lost(err, attempts):
        logger.warning("search worker: a piece of slot jobs was lost (%d attempts: %s); doing it in process",
                       attempts, err)

    def close(self) -> None:
        pool = self.cmap._pool
        for actor in [] if pool is None else pool.actors:
            actor.close.remote(self.id)
        self.boxed = []
