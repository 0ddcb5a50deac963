"""MutateParallel: change the parallel extent limit that ParallelizeVectorizeUnroll writes as the
`meta_schedule.parallel` annotation of a root block.

RewriteParallelVectorizeUnroll reads the limit per child block of that root (its
`parallel_extents` walk: the loops it may fuse, and `parallel_count`: how many of them a limit
takes). Only limits that change what gets parallelised are worth a trial, so the trace is
replayed (without postprocessing), each block's fusible loops are found by that same walk,
and the prefix products of their extents (up to cores x max_jobs_per_core), and 1, are tried as limits; a plan
(the number of loops per block) other than the current limit's is picked uniformly, and the
smallest limit giving it is written into the annotation.
"""

from __future__ import annotations

from ..postproc.rewrite_parallel_vectorize_unroll import parallel_count, parallel_extents
from ..schedule import Trace
from ..schedule.instruction import Instruction
from ..schedule.random_variable import BlockRV
from ..schedule.tree import block_path, child_blocks, loops_above
from ..schedule_rule.parallel_vectorize_unroll import PARALLEL_KEY
from .mutator import Mutator, replay


def plan(extents_per_block, limit) -> tuple:
    """How many outer loops of each block a parallel limit parallelises."""
    return tuple(parallel_count(extents, limit) for extents in extents_per_block)


def other_limit(extents_per_block, current, max_extent, rng):
    """The smallest limit of a plan other than `current`'s, picked uniformly among those plans
    (None if there is none)."""
    limits = {1}
    for extents in extents_per_block:
        prod = 1
        for extent in extents:
            prod *= extent
            if prod > max_extent:
                break
            limits.add(prod)
    plans = {}
    for limit in sorted(limits):
        plans.setdefault(plan(extents_per_block, limit), limit)
    plans.pop(plan(extents_per_block, current), None)
    if not plans:
        return None
    choices = list(plans.values())
    return choices[rng.randint(len(choices))]


class MutateParallel(Mutator):
    """Mutates the parallel extent. max_jobs_per_core: as ParallelizeVectorizeUnroll's (the
    largest limit is the target's cores times this)."""

    def __init__(self, max_jobs_per_core: int = 16):
        if int(max_jobs_per_core) < 1:
            raise ValueError(f"MutateParallel.max_jobs_per_core must be >= 1, got {max_jobs_per_core}")
        self.max_jobs_per_core = int(max_jobs_per_core)

    def _max_extent(self) -> int:
        from ..target import Target

        target = self._target if self._target is not None else Target.host()
        return max(int(getattr(target, "num_cores", None) or 1), 1) * self.max_jobs_per_core

    def _mutate(self, trace, rng):
        insts = trace.instructions(remove_postproc=True)
        annotates = [inst for inst in insts if inst.kind.name == "Annotate" and inst.attrs[0] == PARALLEL_KEY
                     and isinstance(inst.inputs[0], BlockRV) and isinstance(inst.inputs[1], int)]
        if not annotates:
            return None
        blocks = {}

        def collect(sch, inst, inputs, decision):
            if inst in annotates:
                blocks[inst] = sch.get(inputs[0]).name
            return decision

        sch = replay(trace, self._need_mod(), collect)
        if not sch.func_working_on:
            return None
        func = sch.mod[sch.func_working_on]
        max_extent = self._max_extent()
        choices = []
        for inst in annotates:
            children = child_blocks(block_path(func, blocks[inst])[-1])
            extents = [parallel_extents(loops_above(block_path(func, r.block.name)))[1] for r in children]
            choices.append((inst, extents))
        while choices:
            inst, extents = choices.pop(rng.randint(len(choices)))
            limit = other_limit(extents, inst.inputs[1], max_extent, rng)
            if limit is not None:
                new = Instruction(inst.kind, [inst.inputs[0], limit], inst.attrs, inst.outputs)
                kept = set(insts)
                return Trace([new if i is inst else i for i in insts],
                             {i: d for i, d in trace.decisions.items() if i in kept})
        return None
