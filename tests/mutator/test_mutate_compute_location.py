"""MutateComputeLocation: a compute location moves to another location valid at that point of
the schedule; the output replays and computes what the chain computes."""

import pytest

from raytune_ms.mutator import MutateComputeLocation
from raytune_ms.schedule import Schedule
from raytune_ms.schedule.primitives.block_compute_at import compute_location_candidates
from raytune_ms.testing import changed_decisions, check_programs, elementwise_chain, init_mutator, mutate_many, replayed


def _chain_trace(seed):
    """D tiled; C and B each computed at a sampled location (B's candidates depend on C's)."""
    func = elementwise_chain(16, 8, stages=3)
    sch = Schedule(func, seed=seed)
    d = sch.get_block("D")
    i, j = sch.get_loops(d)
    i0, i1 = sch.split(i, [4, 4])
    j0, j1 = sch.split(j, [2, 4])
    sch.reorder(i0, j0, i1, j1)
    for name in ("C", "B"):
        block = sch.get_block(name)
        sch.compute_at(block, sch.sample_compute_location(block))
    return func, sch.trace


def _expected(a):
    return (a * 2.0 + 1.0) ** 2


def test_outputs_are_valid_locations_and_compute_the_chain():
    checked = 0
    for seed in range(4):
        func, trace = _chain_trace(seed)
        mutator = init_mutator(MutateComputeLocation(), func)
        outs = mutate_many(mutator, trace, range(40))
        assert len(outs) >= 20
        for out in outs:
            (change,) = changed_decisions(trace, out)
            inst, old, new = change
            assert inst.kind.name == "SampleComputeLocation" and new != old
            # the new decision is valid where it is sampled: replay up to that instruction
            prefix = out.insts[: out.insts.index(inst)]
            sch = replayed(type(out)(prefix, {i: out.decisions[i] for i in prefix if i in out.decisions}), func)
            block = sch.get(sch.get_block(inst_block_name(trace, inst)))
            assert -1 <= new < len(compute_location_candidates(sch.mod["main"], block.name))
        checked += check_programs(func, outs, _expected)
    assert checked > 8


def inst_block_name(trace, inst):
    """The name of the block a SampleComputeLocation samples for (from its GetBlock)."""
    (block,) = inst.inputs
    getter = next(i for i in trace.insts if block in i.outputs)
    return getter.attrs[0]


def test_needs_a_context_and_none_without_locations():
    func, trace = _chain_trace(0)
    with pytest.raises(RuntimeError, match="tune context"):
        MutateComputeLocation().apply(trace, 0)
    sch = Schedule(func)
    sch.get_block("D")
    assert init_mutator(MutateComputeLocation(), func).apply(sch.trace, 0) is None


def test_deterministic():
    func, trace = _chain_trace(1)
    mutator = init_mutator(MutateComputeLocation(), func)
    assert mutator.apply(trace, 3).as_json() == mutator.apply(trace, 3).as_json()
