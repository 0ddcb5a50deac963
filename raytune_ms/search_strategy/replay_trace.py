"""ReplayTrace: each candidate replays a design space's trace with every decision dropped, so
each sampling instruction draws afresh (uniform random search over the space).

A candidate is new when neither its trace was measured (in this run or, by the database, in an
earlier one) nor its program was produced before in this run (structural hash: different
decisions often give the same program, e.g. a tile factor of 1 where any unit loop vanishes).
A space can hold fewer programs than the trials asked for; after max_fail_count consecutive
draws with nothing new the strategy stops, logs why and keeps the reason in
`exhausted_reason`, rather than drawing known programs until every slot has given up.
"""

from __future__ import annotations

import random

from .. import tir
from ..schedule import Schedule, Trace
from .gc_pause import gc_paused, gc_thaw
from .measured_traces import MeasuredTraces, trace_key
from .search_strategy import SearchStrategy, candidate_from_schedule


class _RunState:
    def __init__(self, traces, max_trials, per_iter, measured, rng):
        self.traces = traces
        self.max_trials = max_trials
        self.per_iter = per_iter
        self.measured = measured
        self.rng = rng
        self.st = 0
        self.num_failures = 0
        self.num_duplicates = 0
        self.programs: set[str] = set()  # structural hashes of the programs handed out
        self.unproductive = 0  # consecutive draws that gave nothing new ...
        self.streak_failures = 0  # ... of which failed or rejected


def new_rng(context) -> random.Random:
    seed = getattr(context, "rand_state", -1)
    return random.Random(None if seed is None or seed == -1 else seed)


class ReplayTrace(SearchStrategy):
    """max_fail_count: consecutive draws that give nothing new (a failed replay, a rejecting
    postprocessor, a trace already measured or a program already produced) after which the
    space counts as exhausted and the strategy stops. `exhausted_reason` then says why (None
    while it has not stopped early)."""

    def __init__(self, max_fail_count: int = 100):
        if int(max_fail_count) < 1:
            raise ValueError(f"ReplayTrace.max_fail_count must be >= 1, got {max_fail_count}")
        self.max_fail_count = int(max_fail_count)
        self.exhausted_reason = None
        self._run = None

    def clone(self) -> ReplayTrace:
        out = super().clone()
        out.exhausted_reason = None
        return out

    def pre_tuning(self, max_trials, num_trials_per_iter, design_spaces, database=None, cost_model=None):
        if not design_spaces:
            raise ValueError("ReplayTrace needs at least one design space")
        ctx = self.context
        traces = [Trace(sch.trace.simplified(remove_postproc=True).insts, {}) for sch in design_spaces]
        measured = MeasuredTraces(database, ctx.mod, ctx.target)
        self._run = _RunState(traces, int(max_trials), int(num_trials_per_iter), measured, new_rng(ctx))
        self.exhausted_reason = None

    def post_tuning(self):
        self._run = None
        gc_thaw()

    def _one(self, state):
        trace = state.traces[state.rng.randrange(len(state.traces))]
        sch = Schedule(self.context.mod, seed=state.rng.getrandbits(62))
        trace.apply_to_schedule(sch, remove_postproc=True)
        return candidate_from_schedule(sch, self.context.postprocs)

    def generate_measure_candidates(self):
        with gc_paused():
            return self._generate()

    def _generate(self):
        state = self._run
        if state is None:
            raise RuntimeError(f"{type(self).__name__}: call pre_tuning before generate_measure_candidates")
        if state.st >= state.max_trials or self.exhausted_reason is not None:
            return None
        n = min(state.per_iter, state.max_trials - state.st)
        out = []
        while len(out) < n:
            if state.unproductive >= self.max_fail_count:
                self._exhaust(state, state.st + len(out))
                break
            state.unproductive += 1
            try:
                cand = self._one(state)
            except Exception as err:  # a failed replay or generation is one failed attempt
                state.num_failures += 1
                state.streak_failures += 1
                self.context.log_exception(f"{type(self).__name__}: drawing a candidate failed", err)
                continue
            if cand is None:
                state.num_failures += 1
                state.streak_failures += 1
                continue
            key = trace_key(cand.sch.trace)
            program = tir.structural_hash(cand.sch.mod)
            if key in state.measured or program in state.programs:
                state.num_duplicates += 1
                continue
            state.measured.add(key)
            state.programs.add(program)
            state.unproductive = state.streak_failures = 0
            out.append(cand)
        state.st += len(out)
        return out or None

    def _exhaust(self, state, trials: int) -> None:
        duplicates = state.unproductive - state.streak_failures
        self.exhausted_reason = (
            f"design space exhausted: {state.unproductive} consecutive draws gave no new program "
            f"({duplicates} already seen, {state.streak_failures} failed or rejected); stopping at {trials} "
            f"of {state.max_trials} trials, {len(state.programs)} distinct programs")
        self.context.logger.warning("%s: %s", type(self).__name__, self.exhausted_reason)

    def notify_runner_results(self, measure_candidates, results):
        """Replaying is not guided by results."""
