"""ReplayFunc: each candidate is a fresh call of the design space generator (a schedule
function sampling its own decisions), postprocessed."""

from __future__ import annotations

from .measured_traces import MeasuredTraces
from .replay_trace import ReplayTrace, _RunState, new_rng
from .search_strategy import candidate_from_schedule


class ReplayFunc(ReplayTrace):
    """max_fail_count: attempts per candidate slot (a generator error, a rejecting
    postprocessor, or a schedule already measured) before the slot is given up."""

    def pre_tuning(self, max_trials, num_trials_per_iter, design_spaces, database=None, cost_model=None):
        ctx = self.context
        if ctx.space_generator is None:
            raise ValueError("ReplayFunc needs the tune context's space_generator")
        measured = MeasuredTraces(database, ctx.mod, ctx.target)
        self._run = _RunState(None, int(max_trials), int(num_trials_per_iter), measured, new_rng(ctx))

    def _one(self, state):
        spaces = self.context.space_generator.generate_design_space(self.context.mod)
        if not spaces:
            return None
        sch = spaces[state.rng.randrange(len(spaces))]
        return candidate_from_schedule(sch, self.context.postprocs)
