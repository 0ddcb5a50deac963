"""MutateUnroll: change the sampled unroll limit of a block, the sample_categorical decision
whose value a `meta_schedule.unroll_explicit` or `meta_schedule.unroll_implicit` annotation
carries (ParallelizeVectorizeUnroll writes it, RewriteParallelVectorizeUnroll turns it into
unrolled loops). The new candidate is drawn from the others in proportion to their
probabilities."""

from __future__ import annotations

from ..schedule_rule.parallel_vectorize_unroll import UNROLL_EXPLICIT_KEY, UNROLL_IMPLICIT_KEY
from .mutator import Mutator, has_other, weighted_other

UNROLL_KEYS = (UNROLL_EXPLICIT_KEY, UNROLL_IMPLICIT_KEY)


class MutateUnroll(Mutator):
    """Mutates the auto-unroll step of an unroll annotation."""

    def _mutate(self, trace, rng):
        insts = trace.instructions(remove_postproc=True)
        sampled = {inst.outputs[0]: inst for inst in insts if inst.kind.name == "SampleCategorical"}
        candidates = []
        for inst in insts:
            if inst.kind.name != "Annotate" or inst.attrs[0] not in UNROLL_KEYS:
                continue
            sample = sampled.get(inst.inputs[1])
            decision = None if sample is None else trace.decisions.get(sample)
            if decision is not None and has_other(sample.attrs[1], decision) and sample not in candidates:
                candidates.append(sample)
        if not candidates:
            return None
        sample = candidates[rng.randint(len(candidates))]
        new = weighted_other(rng, sample.attrs[1], trace.decisions[sample])
        return trace.with_decision(sample, new, remove_postproc=True)
