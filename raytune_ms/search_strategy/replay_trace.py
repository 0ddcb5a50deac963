"""ReplayTrace: each candidate replays a design space's trace with every decision dropped, so
each sampling instruction draws afresh (uniform random search over the space)."""

from __future__ import annotations

import random

from ..schedule import Schedule, Trace
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


def new_rng(context) -> random.Random:
    seed = getattr(context, "rand_state", -1)
    return random.Random(None if seed is None or seed == -1 else seed)


class ReplayTrace(SearchStrategy):
    """max_fail_count: attempts per candidate slot before the slot is given up (a failed
    replay, a rejecting postprocessor, or a trace already measured)."""

    def __init__(self, max_fail_count: int = 100):
        if int(max_fail_count) < 1:
            raise ValueError(f"ReplayTrace.max_fail_count must be >= 1, got {max_fail_count}")
        self.max_fail_count = int(max_fail_count)
        self._run = None

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

    def _one(self, state):
        trace = state.traces[state.rng.randrange(len(state.traces))]
        sch = Schedule(self.context.mod, seed=state.rng.getrandbits(62))
        trace.apply_to_schedule(sch, remove_postproc=True)
        return candidate_from_schedule(sch, self.context.postprocs)

    def generate_measure_candidates(self):
        state = self._run
        if state is None:
            raise RuntimeError(f"{type(self).__name__}: call pre_tuning before generate_measure_candidates")
        if state.st >= state.max_trials:
            return None
        n = min(state.per_iter, state.max_trials - state.st)
        state.st += n
        seen = (state.num_duplicates, state.num_failures)
        out = []
        for _ in range(n):
            for _attempt in range(self.max_fail_count):
                try:
                    cand = self._one(state)
                except Exception as err:  # a failed replay or generation is one failed attempt
                    state.num_failures += 1
                    self.context.log_exception(f"{type(self).__name__}: drawing a candidate failed", err)
                    continue
                if cand is None:
                    state.num_failures += 1
                    continue
                key = trace_key(cand.sch.trace)
                if key in state.measured:
                    state.num_duplicates += 1
                    continue
                state.measured.add(key)
                out.append(cand)
                break
        if not out:
            self.exhausted_reason = self._why_empty(state, state.num_duplicates - seen[0],
                                                    state.num_failures - seen[1])
        return out or None

    def _why_empty(self, state, duplicates: int, failures: int) -> str:
        draws = duplicates + failures
        if duplicates >= failures:
            return (f"the design space looks exhausted: {duplicates} of the last {draws} draws repeated "
                    f"one of the {len(state.measured)} traces already measured")
        return f"{failures} of the last {draws} draws failed to replay (see the task's log)"

    def notify_runner_results(self, measure_candidates, results):
        """Replaying is not guided by results."""
