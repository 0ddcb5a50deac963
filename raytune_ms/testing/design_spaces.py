"""Design-space test helpers: attach rules/postprocs to a target, draw random replays of the
design spaces through the postprocessors, and check each accepted program against numpy
(through the IR interpreter and through compiled C)."""

from __future__ import annotations

import random

import numpy as np

from ..codegen import build
from ..schedule import Schedule, Trace
from ..search_strategy.search_strategy import candidate_from_schedule
from ..space_generator.post_order_apply import PostOrderApply
from ..tune_context import TuneContext
from .checks import random_inputs
from .interpreter import interpret

AVX512 = "llvm -mcpu=skylake-avx512 -num-cores=2"
AVX2 = "llvm -mcpu=znver3 -num-cores=2"


def context(func, target=AVX512, **kw):
    kw.setdefault("mutator_probs", {})
    return TuneContext(func, target=target, space_generator=PostOrderApply(**kw), rand_state=5)


def replays(ctx, n, seed=0, spaces=None):
    """(accepted schedules, number rejected) of n replays with fresh decisions, design spaces
    (`spaces`, default: the context's) taken in turn."""
    spaces = spaces or ctx.generate_design_space()
    rng = random.Random(seed)
    out, rejected = [], 0
    for i in range(n):
        trace = Trace(spaces[i % len(spaces)].trace.simplified(remove_postproc=True).insts, {})
        sch = Schedule(ctx.mod, seed=rng.getrandbits(30))
        trace.apply_to_schedule(sch, remove_postproc=True)
        if candidate_from_schedule(sch, ctx.postprocs) is None:
            rejected += 1
        else:
            out.append(sch)
    return out, rejected


def check_numpy(func, sch, expected=None, interpreter=True, rtol=1e-4, atol=1e-4):
    """The scheduled program gives the unscheduled one's outputs (interpreted in float64),
    compiled to C, and also interpreted when asked."""
    arrays = random_inputs(func, seed=3)
    want = expected if expected is not None else interpret(func, arrays)[-1]
    mod = build(sch.mod, "llvm")
    got = [a.copy() for a in arrays]
    mod(*got)
    np.testing.assert_allclose(got[-1], want, rtol=rtol, atol=atol)
    if interpreter:
        np.testing.assert_allclose(interpret(sch.mod["main"], arrays)[-1], want, rtol=rtol, atol=atol)


def decisions_of(sch, kind):
    return [(inst, d) for inst, d in sch.trace.decisions.items() if inst.kind.name == kind]
