"""A pool of interchangeable actors and the futures of calls made on them.

Start-up never blocks forever. The pool creates its actors at once but sends calls only to
actors that have started. An actor the cluster cannot place (another job holds the CPUs) would
otherwise wait for resources forever, and so would every call sent to it. So: when no actor has
started after `fallback_after_s`, the pool adds one fallback actor that reserves no CPU (the
machine's measurement slot still keeps measurements exclusive); actors still pending
`grace_s` after the first one started are dropped; and when nothing has started after
`start_timeout_s`, the call fails with an error that names the resources asked for.

A call goes to the least-loaded started actor. When its actor dies (ray.kill, a crash, a lost
node), the pool replaces that actor and the call is sent again to a live one, up to
`max_retries` times — so losing an actor loses no work. An exception raised by the method itself
is not retried: it is the call's outcome.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
import uuid

import ray

from .ray_init import is_actor_failure

# under the library's logger namespace, so a tuning run's log receives these messages
logger = logging.getLogger("raytune_ms.actors")

#: Seconds without any started actor before a fallback actor (no CPU reserved) is added.
FALLBACK_AFTER_S = float(os.environ.get("RAYTUNE_MS_ACTOR_FALLBACK_S", 5.0))
#: Seconds after the first actor started during which the others may still start.
GRACE_S = float(os.environ.get("RAYTUNE_MS_ACTOR_GRACE_S", 10.0))
#: Seconds without any started actor (fallback included) before calls fail.
START_TIMEOUT_S = float(os.environ.get("RAYTUNE_MS_ACTOR_START_S", 120.0))


def fitting(resources: dict) -> int:
    """How many actors each asking for `resources` fit in what the cluster has free now."""
    free = ray.available_resources()
    counts = [int(free.get(k, 0.0) / v + 1e-9) for k, v in resources.items() if v > 0]
    return min(counts) if counts else 1 << 30


class ActorPool:
    """make_actor(index, name) -> actor handle, asking for `resources` (for messages);
    make_fallback(index, name) -> an actor that reserves no CPU, or None for no fallback.
    `size` actors are created at once, plus `borrowed` made by make_fallback (index 0, 1, ...)
    for cores that are busy only part of the time; with neither, the pool starts with one
    fallback actor."""

    def __init__(self, make_actor, size: int, kind: str, *, resources: dict | None = None,
                 make_fallback=None, borrowed: int = 0, fallback_after_s: float | None = None,
                 grace_s: float | None = None, start_timeout_s: float | None = None):
        self._make, self._make_fallback = make_actor, make_fallback
        self.kind = kind
        self.resources = dict(resources or {})
        self.uid = uuid.uuid4().hex[:8]
        self._serial = itertools.count()
        self.fallback_after_s = FALLBACK_AFTER_S if fallback_after_s is None else fallback_after_s
        self.grace_s = GRACE_S if grace_s is None else grace_s
        self.start_timeout_s = START_TIMEOUT_S if start_timeout_s is None else start_timeout_s
        self.actors: list = []  # started
        self.load: list[int] = []
        self._makers: list = []  # per started actor: how to replace it
        self._pending: list = []  # (handle, ready ref, maker)
        self.replaced = 0
        self.dropped = 0
        self.used_fallback = False
        self._created = time.monotonic()
        self._first_ready = None
        for _ in range(int(size)):
            self._add_pending(self._make)
        if make_fallback is not None and borrowed > 0:
            self.used_fallback = True  # actors reserving no CPU are there already
            for index in range(borrowed):
                self._add_pending(lambda _, name, index=index: make_fallback(index, name))
        if not self._pending:
            self._add_fallback()

    def _name(self) -> str:
        return f"raytune_ms:{self.kind}:{self.uid}:{next(self._serial)}"

    def _add_pending(self, maker) -> None:
        index = len(self._pending) + len(self.actors)
        handle = maker(index, self._name())
        # a replacement is made as this actor was (the runner pool pins by index to a node)
        self._pending.append((handle, handle.pid.remote(), lambda name: maker(index, name)))

    def _add_fallback(self) -> None:
        if self._make_fallback is None or self.used_fallback:
            return
        self.used_fallback = True
        logger.warning("%s pool: no actor asking for %s has started (the cluster's resources are "
                       "taken, e.g. by another job); adding one that reserves no CPU",
                       self.kind, self.resources)
        self._add_pending(self._make_fallback)

    def __len__(self):
        """The actors this pool has or still expects."""
        return len(self.actors) + len(self._pending)

    # -- start-up ----------------------------------------------------------------------------
    def _promote(self, block: bool) -> None:
        """Move started actors into the pool; with block, wait until there is one."""
        while True:
            if self._pending:
                refs = [p[1] for p in self._pending]
                wait = 0.0
                if block and not self.actors:
                    wait = max(0.0, min(self._next_deadline() - time.monotonic(), 1.0))
                ready, _ = ray.wait(refs, num_returns=len(refs), timeout=wait, fetch_local=False)
                if ready:
                    self._accept(set(ready))
            now = time.monotonic()
            waited = now - self._created
            if not self.actors:
                if waited >= self.fallback_after_s or not self._pending:
                    self._add_fallback()
                if waited >= self.start_timeout_s or not self._pending:
                    self._drop_pending()
                    either = "; nor did one reserving no CPU" if self.used_fallback else ""
                    raise RuntimeError(
                        f"no Ray {self.kind} actor could start within {waited:.0f} s (each asks "
                        f"for {self.resources or 'no resources'}{either}): the cluster lacks the "
                        f"resources, or its actors fail to start"
                    )
            elif self._pending and now - self._first_ready >= self.grace_s:
                self._drop_pending()
            if self.actors or not block:
                return

    def _next_deadline(self) -> float:
        step = self.fallback_after_s if not self.used_fallback else self.start_timeout_s
        return self._created + step

    def _accept(self, ready: set) -> None:
        still = []
        for handle, ref, maker in self._pending:
            if ref not in ready:
                still.append((handle, ref, maker))
                continue
            try:
                ray.get(ref)
            except Exception as err:  # its constructor failed or it died: not a pool member
                logger.warning("%s pool: an actor failed to start: %s", self.kind, err)
                continue
            self.actors.append(handle)
            self.load.append(0)
            self._makers.append(maker)
            if self._first_ready is None:
                self._first_ready = time.monotonic()
        self._pending = still

    def _drop_pending(self) -> None:
        if self._pending and self.actors:
            logger.warning("%s pool: %d actor(s) asking for %s did not start within %g s of the "
                           "first; going on with %d", self.kind, len(self._pending), self.resources,
                           self.grace_s, len(self.actors))
        for handle, _, _ in self._pending:
            _kill(handle)
        self.dropped += len(self._pending)
        self._pending = []

    def started(self) -> int:
        """How many actors have started by now (without waiting for one)."""
        if self._pending:
            self._promote(block=False)
        return len(self.actors)

    def wait_started(self) -> ActorPool:
        """Block until every actor has started or been dropped (benchmarks, tests)."""
        self._promote(block=True)
        while self._pending:
            self._promote(block=False)
            if self._pending:
                ray.wait([p[1] for p in self._pending], num_returns=len(self._pending), timeout=0.2,
                         fetch_local=False)
        return self

    # -- calls -------------------------------------------------------------------------------
    def pick(self) -> int:
        self._promote(block=not self.actors)
        return min(range(len(self.actors)), key=lambda i: self.load[i])

    def replace(self, index: int, dead) -> None:
        """Replace actor `index` if it is still the dead handle (another call may have
        replaced it already). The new one takes the dead one's resources, so it can start."""
        if self.actors[index] is not dead:
            return
        _kill(dead)
        self.actors[index] = self._makers[index](self._name())
        self.load[index] = 0
        self.replaced += 1

    def kill_all(self) -> None:
        for actor in self.actors + [p[0] for p in self._pending]:
            _kill(actor)
        self.actors, self.load, self._makers, self._pending = [], [], [], []


class PoolHolder:
    """Something that starts its ActorPool (`_pool`) when first used: it pickles (e.g. to the
    task-scheduler actor) without it, and `shutdown` kills the pool's actors."""

    _pool = None

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_pool"] = None
        return state

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.kill_all()
            self._pool = None


def lost_reason(err: BaseException, attempts: int) -> str:
    """Why a call has no result: its actor kept dying, or none could start."""
    if attempts == 0:
        return str(err)
    return f"its actor died {attempts} times ({type(err).__name__})"


def _kill(actor) -> None:
    try:
        ray.kill(actor, no_restart=True)
    except Exception:
        pass


class ActorCall:
    """One logical call on the pool, re-sent when its actor dies.

    submit(handle) -> tuple of ObjectRefs (the first is awaited); on_value(value, refs) ->
    outcome; on_error(err) -> outcome for a method that raised; on_lost(err, attempts) ->
    outcome once retries are exhausted (or when no actor of the pool can start).
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
        try:
            self.index = self.pool.pick()
        except RuntimeError as err:  # no actor can start: the call fails, the run goes on
            self._finish(self._on_lost(err, self.attempts))
            return
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
            return self._has_outcome
        return self._finish(self._on_value(value, self.refs))

    def _finish(self, outcome) -> bool:
        self._outcome, self._has_outcome = outcome, True
        return True

    def result(self):
        while not self.done():
            ray.wait([self.refs[0]], num_returns=1, fetch_local=False)
        return self._outcome
