"""The mutator interface: a mutator changes one decision of a trace (or one literal the search
may tune, such as the parallel extent) so that the evolutionary search can explore the design
space around a good candidate.

`apply(trace, rand_state)` returns a new trace without its postprocessing part, or None when
the mutator finds nothing to change. When the mutator knows the task's module (through
`_initialize_with_tune_context`), it replays its output on a fresh schedule of that module and
returns None if the replay fails: a mutated decision can invalidate a later one (a compute
location index that no longer exists, a tile that changes how many loops a block has).
"""

from __future__ import annotations

import copy

from .. import _registry
from ..schedule import Schedule, ScheduleError
from ..schedule.replay_cache import replay_cache
from ..schedule.sampling import RandState

#: the reference's mutators and probabilities per target kind
_DEFAULTS = {
    "llvm": (("mutate-tile-size", {}, 0.90), ("mutate-compute-location", {}, 0.05),
             ("mutate-unroll", {}, 0.03), ("mutate-parallel", {"max_jobs_per_core": 16}, 0.02)),
    "cuda": (("mutate-tile-size", {}, 0.90), ("mutate-unroll", {}, 0.08), ("mutate-thread-binding", {}, 0.02)),
}
_DEFAULTS["cuda-tensorcore"] = _DEFAULTS["cuda"]


def as_rand_state(rand_state) -> RandState:
    """A RandState from a seed (None or -1: a random one) or a RandState (used as is)."""
    return rand_state if isinstance(rand_state, RandState) else RandState(rand_state)


def replay(trace, mod, decision_provider=None) -> Schedule:
    """`trace` without postprocessing replayed on a fresh schedule of `mod` (ScheduleError if a
    step fails). `decision_provider(sch, inst, inputs, decision) -> decision` is called before
    each instruction runs: it sees the schedule as it is at that point (inputs: the
    instruction's inputs in `sch`) and returns the decision to use. The replay resumes from
    the module's cached state of the longest prefix replayed before (`replay_cache`)."""
    return replay_cache(mod).replay(trace, seed=0, decision_provider=decision_provider)


def has_other(probs, current) -> bool:
    """Whether a candidate other than index `current` has a positive probability."""
    return any(p > 0 for i, p in enumerate(probs) if i != current)


def weighted_other(rng, probs, current):
    """An index != current drawn in proportion to `probs` (None if none has weight)."""
    if not has_other(probs, current):
        return None
    total = sum(p for i, p in enumerate(probs) if i != current)
    r = rng.uniform() * total
    last = None
    for i, p in enumerate(probs):
        if i == current or p <= 0:
            continue
        last = i
        r -= p
        if r < 0:
            return i
    return last


class Mutator(_registry.Registry):
    """Mutates a trace. Subclasses implement `_mutate(trace, rng) -> Trace | None` (rng: a
    RandState); `apply` adds the replay check."""

    KINDS = {
        "mutate-tile-size": "raytune_ms.mutator.mutate_tile_size:MutateTileSize",
        "mutate-compute-location": "raytune_ms.mutator.mutate_compute_location:MutateComputeLocation",
        "mutate-unroll": "raytune_ms.mutator.mutate_unroll:MutateUnroll",
        "mutate-parallel": "raytune_ms.mutator.mutate_parallel:MutateParallel",
        "mutate-thread-binding": "raytune_ms.mutator.mutate_thread_binding:MutateThreadBinding",
    }
    KIND_NOUN = "mutator"

    _mod = None
    _target = None
    _replays_output = False  # True: _mutate's own replay already checks its output
    _replayed = None  # the schedule of the last output's check replay (for apply_with_schedule)

    def _initialize_with_tune_context(self, context) -> None:
        """Remember the task's module (for replays) and target (for its core count)."""
        self._mod = context.mod
        self._target = context.target

    def apply(self, trace, rand_state=None):
        """A mutated copy of `trace` (postprocessing removed), or None. rand_state: a seed or
        a RandState; the same seed gives the same mutation."""
        try:
            out = self._mutate(trace, as_rand_state(rand_state))
            if out is not None and self._mod is not None and not self._replays_output:
                self._replayed = replay(out, self._mod)
        except ScheduleError:  # the trace (or its mutation) does not replay on this module
            return None
        return out

    def apply_with_schedule(self, trace, rand_state=None):
        """`apply`, with the schedule its check replay produced (None where there was none,
        e.g. a user mutator), so the search can postprocess it rather than replay it again."""
        self._replayed = None
        out = self.apply(trace, rand_state)
        sch, self._replayed = self._replayed, None
        return out, (sch if out is not None else None)

    def _mutate(self, trace, rng):
        raise NotImplementedError

    def _need_mod(self):
        if self._mod is None:
            raise RuntimeError(f"{type(self).__name__} replays the trace: initialise it with a tune context "
                               "(_initialize_with_tune_context) first")
        return self._mod

    def clone(self) -> Mutator:
        return copy.copy(self)

    def __repr__(self):
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({params})"

    @staticmethod
    def create(kind="llvm") -> dict:
        """The default mutators of a target kind with their probabilities ("llvm": the
        reference's TileSize 0.90, ComputeLocation 0.05, Unroll 0.03, Parallel(16) 0.02; "cuda":
        TileSize 0.90, Unroll 0.08, ThreadBinding 0.02), or
        {mutator: 1.0} for one mutator kind ("mutate-tile-size", ...) or a mutator object."""
        if isinstance(kind, str) and kind in _DEFAULTS:
            return {Mutator._create_kind(name, **kw): p for name, kw, p in _DEFAULTS[kind]}
        if isinstance(kind, str) and kind not in Mutator.KINDS:
            known = sorted([*_DEFAULTS, *Mutator.KINDS])
            raise ValueError(f"unknown mutator kind {kind!r}; known kinds: {', '.join(known)}")
        return {Mutator._create_kind(kind): 1.0}


class PyMutator(Mutator):
    """The base for user mutators (decorate subclasses with `derived_object`): override
    `apply(trace, rand_state)` (or `_mutate` to keep the replay check), and optionally
    `_initialize_with_tune_context` and `clone`."""


def create(kind="llvm") -> dict:
    """Same as `Mutator.create`."""
    return Mutator.create(kind)
