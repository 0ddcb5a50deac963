"""MutateComputeLocation: re-sample a sample_compute_location decision among the locations that
are valid for its block at that point of the schedule.

The trace is replayed (without postprocessing) on a fresh schedule of the task's module; at each
SampleComputeLocation the loops the block can be computed at are listed in the program as it is
then. A decision is -1 (root) or an index into those loops, as sample_compute_location draws
them. One instruction with another option is picked uniformly, then a new location uniformly.
"""

from __future__ import annotations

from ..schedule.primitives.block_compute_at import compute_location_candidates
from .mutator import Mutator, replay


class MutateComputeLocation(Mutator):
    """Mutates the compute-at location decision of SampleComputeLocation."""

    def _mutate(self, trace, rng):
        options = {}  # instruction -> the other valid decisions, in trace order

        def collect(sch, inst, inputs, decision):
            if inst.kind.name != "SampleComputeLocation" or decision is None or not sch.func_working_on:
                return decision
            func = sch.mod[sch.func_working_on]
            n = len(compute_location_candidates(func, sch.get(inputs[0]).name))
            others = [d for d in range(-1, n) if d != decision]
            if others:
                options[inst] = others
            return decision

        replay(trace, self._need_mod(), collect)
        if not options:
            return None
        inst = list(options)[rng.randint(len(options))]
        others = options[inst]
        return trace.with_decision(inst, others[rng.randint(len(others))], remove_postproc=True)
