"""Checks for mutators: apply one with many seeds and verify that every output replays on a
fresh schedule, changes what the mutator is meant to change, and computes what the original
program computes (through the IR interpreter)."""

from __future__ import annotations

import numpy as np

from .. import tir
from ..schedule import Schedule
from ..search_strategy.search_strategy import candidate_from_schedule
from ..tune_context import TuneContext
from .checks import random_inputs
from .interpreter import interpret


def init_mutator(mutator, func, target="llvm"):
    """`mutator`, initialised with a tune context of `func`."""
    mutator._initialize_with_tune_context(TuneContext(func, target=target))
    return mutator


def replayed(trace, func) -> Schedule:
    sch = Schedule(func, seed=0)
    trace.apply_to_schedule(sch, remove_postproc=True)
    return sch


def changed_decisions(before, after) -> list:
    """(old, new) for every sampling instruction whose decision differs (same instructions)."""
    assert len(before.insts) == len(after.insts)
    out = []
    for a, b in zip(before.insts, after.insts):
        if a.kind.is_pure and a in before.decisions and before.decisions[a] != after.decisions.get(b):
            out.append((a, before.decisions[a], after.decisions.get(b)))
    return out


def mutate_many(mutator, trace, seeds) -> list:
    """The non-None outputs of `mutator.apply(trace, seed)` for each seed."""
    return [t for t in (mutator.apply(trace, s) for s in seeds) if t is not None]


def check_programs(func, traces, expected, seed=0):
    """Every trace replays and its program (interpreted) gives `expected(inputs)` for the
    output buffer; distinct programs are interpreted once. Returns the number of distinct ones."""
    seen = set()
    arrays = random_inputs(func, seed)
    want = expected(*arrays[:-1])
    for trace in traces:
        sch = replayed(trace, func)
        key = tir.structural_hash(sch.mod)
        if key in seen:
            continue
        seen.add(key)
        got = interpret(sch.mod["main"], arrays)[-1]
        assert not np.isnan(got).any(), f"unwritten output elements\n{trace}"
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4, err_msg=str(trace))
    return len(seen)


def mutated_candidates(ctx, trace, mutator, seeds) -> tuple:
    """(the schedules that pass ctx's postprocessors, the number of mutated traces) of
    `mutator` (initialised for ctx's program and target here) applied to `trace` with each seed,
    each replayed on a fresh schedule."""
    func = ctx.mod["main"]
    mutator._initialize_with_tune_context(TuneContext(func, target=ctx.target))
    traces = mutate_many(mutator, trace, seeds)
    out = []
    for t in traces:
        cand = candidate_from_schedule(replayed(t, func), ctx.postprocs)
        if cand is not None:
            out.append(cand.sch)
    return out, len(traces)
