"""Lowering's auto-unroll walks only the paths to `pragma_auto_unroll_max_step` loops: the
result equals the walk of every loop (what it did before), on hand schedules that unroll an
inner loop of one nest beside an un-annotated one, and on searched candidates (annotated under
a parallel loop)."""

import random

import pytest

from raytune_ms import tir, workloads
from raytune_ms.codegen.lower import UNROLL_STEP_KEY, _auto_unroll, _BlockLowerer, _place
from raytune_ms.codegen.lowered import Allocate
from raytune_ms.schedule import Schedule, Trace
from raytune_ms.schedule.replay_cache import ReplayCache
from raytune_ms.search_strategy.search_strategy import candidate_from_schedule
from raytune_ms.testing import elementwise_chain, matmul
from raytune_ms.tune_context import TuneContext


def placed(func):
    """(the lowered body before auto-unroll, the ids of its loops on annotated paths)."""
    lw = _BlockLowerer()
    body = _place(lw.visit(func.body, {}, ()), lw, (), {})
    return body, lw.unroll_paths


def loops(body) -> list:
    """(variable, kind, extent, annotations) of every loop of a lowered body, in pre-order:
    all that auto-unroll may change."""
    out, stack = [], [body]
    while stack:
        s = stack.pop()
        if isinstance(s, tir.For):
            out.append((s.loop_var.name, s.kind, s.extent.value, s.annotations))
            stack.append(s.body)
        elif isinstance(s, tir.SeqStmt):
            stack.extend(reversed(s.seq))
        elif isinstance(s, tir.IfThenElse):
            stack.extend(x for x in (s.else_case, s.then_case) if x is not None)
        elif isinstance(s, Allocate):
            stack.append(s.body)
    return out


def _same_as_full_walk(func) -> bool:
    """Whether the paths walk equals the full walk on `func`; returns whether it unrolled."""
    body, paths = placed(func)
    every = {id(f.loop_var) for f in tir.collect(body, tir.For)}
    assert paths <= every
    fast, full = _auto_unroll(body, paths), _auto_unroll(body, every)
    assert loops(fast) == loops(full)
    if not paths:
        assert fast is body  # nothing to unroll: the program is kept as it is
    return loops(full) != loops(body)


@pytest.mark.parametrize("step", [0, 8, 64, 4096])
def test_hand_schedules_unroll_the_same(step):
    sch = Schedule(matmul(16, 16, 16))
    i, j, k = sch.get_loops(sch.get_block("C"))
    j0, _ = sch.split(j, [None, 4])
    sch.annotate(j0, UNROLL_STEP_KEY, step)
    chain = Schedule(elementwise_chain(8, 8))
    blocks = [r.block.name for r in tir.collect(chain.mod["main"].body, tir.BlockRealize) if r.block.name != "root"]
    chain.annotate(chain.get_loops(chain.get_block(blocks[-1]))[1], UNROLL_STEP_KEY, step)
    unrolled = [_same_as_full_walk(s.mod["main"]) for s in (sch, chain)]
    assert unrolled == [step >= 64, step >= 8]


@pytest.mark.parametrize("name", ["GMM-1024", "C2D"])
def test_paths_walk_equals_full_walk(name):
    ctx = TuneContext(workloads.get(name, "standard").func, target="llvm", space_generator="post-order-apply",
                      rand_state=3)
    spaces = [Trace(s.trace.simplified(remove_postproc=True).insts, {}) for s in ctx.generate_design_space()]
    cache = ReplayCache(ctx.mod)
    rng = random.Random(23)
    annotated = 0
    for i in range(40):
        cand = candidate_from_schedule(cache.replay(spaces[i % len(spaces)], rng.getrandbits(40)), ctx.postprocs)
        _same_as_full_walk(cand.sch.mod["main"])
        annotated += bool(placed(cand.sch.mod["main"])[1])
    assert annotated >= 10  # (the unroll step is sampled: most candidates have one)
