"""A pool of interchangeable actors and the futures of calls made on them.

A call goes to the least-loaded actor. When its actor dies (ray.kill, a crash, a lost node),
the pool replaces that actor and the call is sent again to a live one, up to `max_retries`
times — so losing an actor loses no work. An exception raised by the method itself is not
retried: it is the call's outcome.
"""

from __future__ import annotations

import itertools
import uuid

import ray

from .ray_init import is_actor_failure


class ActorPool:
    """make_actor(index, name) -> actor handle; `size` actors, created at once."""

    def __init__(self, make_actor, size: int, kind: str):
        self._make = make_actor
        self.kind = kind
        self.uid = uuid.uuid4().hex[:8]
        self._serial = itertools.count()
        self.actors = [self._new(i) for i in range(size)]
        self.load = [0] * size
        self.replaced = 0

    def _new(self, index: int):
        name = f"raytune_ms:{self.kind}:{self.uid}:{index}:{next(self._serial)}"
        return self._make(index, name)

    def __len__(self):
        return len(self.actors)

    def pick(self) -> int:
        return min(range(len(self.actors)), key=lambda i: self.load[i])

    def replace(self, index: int, dead) -> None:
        """Replace actor `index` if it is still the dead handle (another call may have
        replaced it already)."""
        if self.actors[index] is not dead:
            return
        try:
            ray.kill(dead, no_restart=True)
        except Exception:
            pass
        self.actors[index] = self._new(index)
        self.load[index] = 0
        self.replaced += 1

    def kill_all(self) -> None:
        for actor in self.actors:
            try:
                ray.kill(actor, no_restart=True)
            except Exception:
                pass
        self.actors = []
        self.load = []


class ActorCall:
    """One logical call on the pool, re-sent when its actor dies.

    submit(handle) -> tuple of ObjectRefs (the first is awaited); on_value(value, refs) ->
    outcome; on_error(err) -> outcome for a method that raised; on_lost(err, attempts) ->
    outcome once retries are exhausted.
    """

    def __init__(self, pool: ActorPool, submit, on_value, on_error, on_lost, max_retries: int = 3):
        self.pool = pool
        self._submit = submit
        self._on_value, self._on_error, self._on_lost = on_value, on_error, on_lost
        self.max_retries = max_retries
        self.attempts = 0
        self._outcome = None
        self._has_outcome = False
        self._launch()

    def _launch(self) -> None:
        self.index = self.pool.pick()
        self.handle = self.pool.actors[self.index]
        self.pool.load[self.index] += 1
        self.refs = self._submit(self.handle)

    def _release(self) -> None:
        if self.pool.actors and self.pool.actors[self.index] is self.handle:
            self.pool.load[self.index] = max(0, self.pool.load[self.index] - 1)

    def wait_handle(self):
        return None if self._has_outcome else self.refs[0]

    def done(self) -> bool:
        if self._has_outcome:
            return True
        ready, _ = ray.wait([self.refs[0]], num_returns=1, timeout=0, fetch_local=False)
        if not ready:
            return False
        self._release()
        try:
            value = ray.get(self.refs[0])
        except Exception as err:
            if not is_actor_failure(err):
                return self._finish(self._on_error(err))
            self.attempts += 1
            self.pool.replace(self.index, self.handle)
            if self.attempts > self.max_retries:
                return self._finish(self._on_lost(err, self.attempts))
            self._launch()
            return False
        return self._finish(self._on_value(value, self.refs))

    def _finish(self, outcome) -> bool:
        self._outcome, self._has_outcome = outcome, True
        return True

    def result(self):
        while not self.done():
            ray.wait([self.refs[0]], num_returns=1, fetch_local=False)
        return self._outcome
