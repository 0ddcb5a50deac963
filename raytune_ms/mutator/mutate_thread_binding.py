"""MutateThreadBinding: change how many threads a block runs with, the sample_categorical
decision that gives the factor of a split whose inner loop is bound to threadIdx.x (AutoBind's
and CrossThreadReduction's thread extents). The new candidate is drawn from the others in
proportion to their probabilities."""

from __future__ import annotations

from .mutator import Mutator, has_other, weighted_other


def thread_extent_samples(insts) -> list:
    """The SampleCategorical instructions among `insts` whose value is the factor of a split
    loop bound to threadIdx.x."""
    bound = {inst.inputs[0] for inst in insts if inst.kind.name == "Bind" and inst.attrs[0] == "threadIdx.x"}
    factors = set()
    for inst in insts:
        if inst.kind.name == "Split":
            for factor, loop in zip(inst.inputs[1:], inst.outputs):
                if loop in bound:
                    factors.add(factor)
    return [inst for inst in insts if inst.kind.name == "SampleCategorical" and inst.outputs[0] in factors]


class MutateThreadBinding(Mutator):
    """Mutates the thread extent of a threadIdx.x binding."""

    def _mutate(self, trace, rng):
        candidates = [inst for inst in thread_extent_samples(trace.instructions(remove_postproc=True))
                      if trace.decisions.get(inst) is not None and has_other(inst.attrs[1], trace.decisions[inst])]
        if not candidates:
            return None
        inst = candidates[rng.randint(len(candidates))]
        new = weighted_other(rng, inst.attrs[1], trace.decisions[inst])
        return trace.with_decision(inst, new, remove_postproc=True)
