"""Where the evolutionary search's per-slot work runs: the interface, and the in-process default.

A CandidateMap opens one session per search run with the run's SlotWorker, and a session
works lists of slot jobs (`SlotWorker.run`) and returns their results in order. The default
works them in the search's own process; the Ray layer (actors/search_workers.py) spreads them
over worker processes. A session's results never depend on how it spreads the jobs.
"""

from __future__ import annotations


class CandidateMap:
    """ships: whether the jobs leave the process (the worker then ships `Evaluated` results
    without their candidates, and parents go as (key, JSON text))."""

    ships = False

    def open(self, worker):
        """A session of `worker`'s jobs: an object with `map(jobs, parents)` and `close()`."""
        raise NotImplementedError

    def shutdown(self) -> None:
        """Release the workers (the run is over)."""


class SerialMap(CandidateMap):
    """Every job in the calling process."""

    def open(self, worker):
        return _SerialSession(worker)


class _SerialSession:
    def __init__(self, worker):
        self.worker = worker

    def map(self, jobs: list, parents: list) -> list:
        return self.worker.run(jobs, parents)

    def close(self) -> None:
        self.worker = None


def plug_candidate_map(strategies: list, make) -> CandidateMap | None:
    """Give the strategies that want worker processes (`workers_wanted() > 1`, and no
    candidate_map of their own) one shared map, `make(num_workers)` with the most any of
    them wants; that map (to shut down after the run), or None."""
    wanting = [s for s in strategies
               if getattr(s, "candidate_map", "") is None and callable(getattr(s, "workers_wanted", None))
               and s.workers_wanted() > 1]
    if not wanting:
        return None
    cmap = make(max(s.workers_wanted() for s in wanting))
    for strategy in wanting:
        strategy.candidate_map = cmap
    return cmap


def unplug_candidate_map(strategies: list, cmap: CandidateMap | None) -> None:
    """Undo `plug_candidate_map` and shut its map down."""
    if cmap is None:
        return
    for strategy in strategies:
        if getattr(strategy, "candidate_map", None) is cmap:
            strategy.candidate_map = None
    cmap.shutdown()
