"""The evolutionary search's work per population slot, as a pure function of a small job.

The search draws every random number of a generation in its own process first (per slot: which
design space and which replay seed, or the list of mutation attempts with their parents,
mutators and seeds), so the batch it picks does not depend on where or in which order the
slots are worked out. A SlotWorker holds what a slot needs (the task's module, design spaces,
postprocessors, mutators and feature extractor) and turns a job into an `Evaluated`: the
program's trace key, structural hash and feature rows, plus the candidate itself when the
worker lives in the search's process, or the trace's JSON text when it does not (shipping a
whole schedule back costs about what replaying it again does; the search replays only the
candidates it hands out).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import NamedTuple

from .. import tir
from ..profiler import Profiler
from ..schedule import Trace
from ..schedule.replay_cache import replay_cache
from .measured_traces import keyed_text, trace_key
from .search_strategy import candidate_from_schedule

#: mutated traces (by key) a worker remembers the outcome of (about two batches' worth)
MUTATIONS_KEPT = 4096
#: an attempt's mutator index that stands for "copy the parent unchanged"
COPY = -1


class ReplayJob(NamedTuple):
    """Replay design space `space` with random seed `seed`."""

    space: int
    seed: int
    features: bool  # extract the program's feature rows (the model scores them)


class MutateJob(NamedTuple):
    """Mutation attempts of one slot, tried in order from `start` until one gives a program:
    (parent position in the generation, mutator index or COPY, seed) each. A COPY attempt is
    not decided here (whether the parent was copied already depends on the other slots): the
    outcome names it and the search goes on from the next attempt if it must."""

    attempts: tuple
    start: int
    features: bool


class Evaluated(NamedTuple):
    """A program the search may keep: its trace's key, structural hash (None: the search
    hashes it when it needs to), feature rows (None: not asked for), the candidate (None
    when the worker is in another process) and the trace as JSON text (None in process)."""

    key: str
    shash: str | None
    features: object
    cand: object
    trace_text: str | None


class Outcome(NamedTuple):
    """What a MutateJob came to: the attempt that decided it (len(attempts): none did), its
    program (None for a COPY attempt or when none decided), and how many programs the job
    replayed and postprocessed (a mutation met before is not)."""

    attempt: int
    member: Evaluated | None
    replays: int


class SlotWorker:
    """ships: the results leave this process (hash and serialise the trace here, drop the
    candidate). The worker also serves as the tune context of its feature extractor."""

    def __init__(self, mod, target, spaces, postprocs, mutators, extractor, ships: bool = False):
        self.mod = mod
        self.target = target
        self.spaces = list(spaces)
        self.postprocs = list(postprocs or [])
        self.mutators = list(mutators)
        self.extractor = extractor
        self.ships = bool(ships)
        self._made: OrderedDict = OrderedDict()  # mutated trace key -> (cand, Evaluated) or None
        self._parents: OrderedDict = OrderedDict()  # parent trace key -> Trace (parsed, or made here)

    def twin(self, ships: bool) -> SlotWorker:
        """A copy without caches whose results leave the process (`ships`: for another
        process) or stay in it (the search's own share of a session that ships)."""
        return SlotWorker(self.mod, self.target, self.spaces, self.postprocs, self.mutators, self.extractor, ships)

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_made"], state["_parents"] = OrderedDict(), OrderedDict()
        state["spaces"] = [json.dumps(t.as_json()) for t in self.spaces]  # (traces do not pickle)
        return state

    def __setstate__(self, state):
        state["spaces"] = [Trace.from_json(text) for text in state["spaces"]]
        self.__dict__.update(state)

    def run(self, jobs: list, parents: list) -> list:
        """The results of `jobs` in order (Evaluated or None for a ReplayJob, Outcome for a
        MutateJob). parents: the generation's traces (a Trace, or (key, JSON text))."""
        return [self._replay_job(job) if isinstance(job, ReplayJob) else self._mutate_job(job, parents)
                for job in jobs]

    def _replay_job(self, job: ReplayJob) -> Evaluated | None:
        try:
            sch = replay_cache(self.mod).replay(self.spaces[job.space], seed=job.seed)
        except Exception:  # noqa: BLE001 - any failure of a replay only drops that sample
            return None
        cand = self._postprocessed(sch)
        return None if cand is None else self._evaluated(cand, *self._key(cand.sch.trace), job.features)

    def _mutate_job(self, job: MutateJob, parents: list) -> Outcome:
        replays = 0
        for i in range(job.start, len(job.attempts)):
            parent, mutator, seed = job.attempts[i]
            if mutator == COPY:
                return Outcome(i, None, replays)
            with Profiler.timeit("EvolutionarySearch/MutatorApply"):
                trace, sch = self.mutators[mutator].apply_with_schedule(self._parent(parents[parent]), seed)
            if trace is None:
                continue
            key, text = self._key(trace)
            if key in self._made:
                hit = self._made[key]
            else:
                replays += 1
                cand = self._postprocessed(sch) if sch is not None else self._replayed(trace)
                hit = self._made[key] = None if cand is None else (cand, self._evaluated(cand, key, text, False))
                if len(self._made) > MUTATIONS_KEPT:
                    self._made.popitem(last=False)
            if hit is not None:
                cand, done = hit
                if job.features and done.features is None:  # met before the model was trained
                    done = done._replace(features=self._features(cand))
                    self._made[key] = (cand, done)
                return Outcome(i, done, replays)
        return Outcome(len(job.attempts), None, replays)

    def _parent(self, entry) -> Trace:
        if isinstance(entry, Trace):
            return entry
        key, text = entry
        trace = self._parents.get(key)
        if trace is None:
            trace = self._keep_parent(key, Trace.from_json(text))
        return trace

    def made(self, parent) -> bool:
        """Whether this worker made `parent` (a Trace, or (key, JSON text)) recently: its
        replay cache holds that program's states."""
        return isinstance(parent, Trace) or parent[0] in self._parents

    def _keep_parent(self, key: str, trace: Trace) -> Trace:
        self._parents[key] = trace
        if len(self._parents) > MUTATIONS_KEPT:
            self._parents.popitem(last=False)
        return trace

    def _replayed(self, trace):
        try:
            sch = replay_cache(self.mod).replay(trace)
        except Exception:  # noqa: BLE001 - a mutation that does not replay is a failed attempt
            return None
        return self._postprocessed(sch)

    def _postprocessed(self, sch):
        with Profiler.timeit("EvolutionarySearch/Postprocess"):
            try:
                return candidate_from_schedule(sch, self.postprocs)
            except Exception:  # noqa: BLE001 - a postprocessor that fails rejects the sample
                return None

    def _key(self, trace) -> tuple:
        """(trace key, the JSON text shipped: None in process)."""
        return keyed_text(trace) if self.ships else (trace_key(trace), None)

    def _evaluated(self, cand, key: str, text: str | None, features: bool) -> Evaluated:
        feats = self._features(cand) if features else None
        self._keep_parent(key, cand.sch.trace)  # (if it comes back as a parent (key, text), it is not parsed)
        if not self.ships:
            return Evaluated(key, None, feats, cand, None)
        return Evaluated(key, tir.structural_hash(cand.sch.mod), feats, None, text)

    def _features(self, cand):
        with Profiler.timeit("EvolutionarySearch/Features"):
            return self.extractor.extract_from(self, [cand])[0]
