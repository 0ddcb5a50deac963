"""bound() and simplify() agree with evaluation on random affine/div/mod expressions."""

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from raytune_ms import tir
from raytune_ms.testing import evaluate, int_exprs
from raytune_ms.tir import IntImm, Range, Var
from raytune_ms.tir.arith import bound, can_prove, simplify

VARS = [Var("a"), Var("b"), Var("c")]
EXTENTS = [4, 8, 3]
RANGES = {v: Range(0, e) for v, e in zip(VARS, EXTENTS)}


exprs = int_exprs(VARS, consts=(-5, 20), max_divisor=16, max_leaves=8)


def all_envs():
    for vals in itertools.product(*[range(e) for e in EXTENTS]):
        yield dict(zip(VARS, vals))


@settings(max_examples=300, deadline=None)
@given(exprs)
def test_simplify_and_bound_agree_with_evaluation(e):
    s = simplify(e, RANGES)
    lo, hi = bound(e, RANGES)
    for env in all_envs():
        v = evaluate(e, env)
        assert evaluate(s, env) == v, (e, s, env)
        assert lo is None or lo <= v, (e, lo, v)
        assert hi is None or v <= hi, (e, hi, v)


@settings(max_examples=200, deadline=None)
@given(exprs, exprs, st.sampled_from([tir.LT, tir.LE, tir.GT, tir.GE, tir.EQ, tir.NE]))
def test_comparisons_simplify_soundly(a, b, op):
    e = op(a, b)
    s = simplify(e, RANGES)
    for env in all_envs():
        assert evaluate(s, env) == evaluate(e, env), (e, s, env)


def test_split_fuse_patterns():
    i0, i1, f = Var("i0"), Var("i1"), Var("f")
    r = {i0: Range(0, 8), i1: Range(0, 8), f: Range(0, 64)}
    assert simplify((i0 * 8 + i1) // 8, r) is i0
    assert simplify((i0 * 8 + i1) % 8, r) is i1
    assert simplify((f // 8) * 8 + f % 8, r) is f
    assert simplify(tir.floordiv(f, 1), r) is f
    assert can_prove(i0 * 8 + i1 < 64, r)
    assert not can_prove(i0 * 8 + i1 < 63, r)
    assert tir.structural_equal(simplify(i1 + i0 * 8, r), i0 * 8 + i1)


def test_bound_unknown_vars_are_unbounded():
    x, y = Var("x"), Var("y")
    assert bound(x + 1, {}) == (None, None)
    assert bound(tir.FloorMod(x, IntImm(4)), {}) == (0, 3)
    assert bound(x * 8 + y - x * 8, {y: Range(2, 3)}) == (2, 4)
