"""Region inference (relax, relax_range, union), reducer recognition and stride alignment."""

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from raytune_ms import te, tir
from raytune_ms.testing import evaluate, int_exprs
from raytune_ms.tir import IntImm, Range, Var, analysis
from raytune_ms.tir.analysis import (
    RegionError,
    aligned_strides,
    is_reduction_block,
    is_spatial_block,
    match_reducer,
    relax_range,
    same_expr,
    split_conjuncts,
    union_boxes,
    union_side,
    var_plus_const,
)
from raytune_ms.tir.functor import used_vars

A, B, C = Var("a"), Var("b"), Var("c")
FIXED = {A: Range(0, 5)}
RELAXED = {B: Range(0, 4), C: Range(0, 3)}


@settings(max_examples=300, deadline=None)
@given(int_exprs([A, B, C]))
def test_relax_range_covers_every_value(e):
    """For each value of the fixed var, every value over the relaxed vars lies in the box."""
    lo, ext = relax_range(Range(e, 1), RELAXED, FIXED)
    assert not (used_vars(lo) & {id(B), id(C)}), "the lower end may only use fixed variables"
    for a in range(5):
        start = evaluate(lo, {A: a})
        for b, c in itertools.product(range(4), range(3)):
            v = evaluate(e, {A: a, B: b, C: c})
            assert start <= v < start + ext, (e, lo, ext, a, b, c, v)


def _affine_exprs(variables):
    """Add, Sub and Mul by a constant (zero and negative ones too) over `variables` and constants."""
    leaf = st.one_of(st.sampled_from(list(variables)), st.integers(-3, 12).map(IntImm))
    return st.recursive(leaf, lambda inner: st.one_of(
        st.tuples(inner, inner).map(lambda t: tir.Add(*t)),
        st.tuples(inner, inner).map(lambda t: tir.Sub(*t)),
        st.tuples(inner, st.integers(-3, 8)).map(lambda t: tir.Mul(t[0], IntImm(t[1]))),
        st.tuples(st.integers(-3, 8), inner).map(lambda t: tir.Mul(IntImm(t[0]), t[1])),
    ), max_leaves=7)


@settings(max_examples=300, deadline=None)
@given(_affine_exprs([A, B, C]), st.integers(1, 4))
def test_relax_range_affine_shortcut_matches_general_path(e, extent):
    """The linear-view shortcut for affine regions gives exactly what relaxing and simplifying
    the expressions gives (the same lower-end expression, the same extent)."""
    fast = relax_range(Range(e, extent), RELAXED, FIXED)
    shortcut = analysis._relax_affine_range
    analysis._relax_affine_range = lambda rng, relaxed: None
    try:
        general = relax_range(Range(e, extent), RELAXED, FIXED)
    finally:
        analysis._relax_affine_range = shortcut
    assert tir.structural_equal(fast[0], general[0]) and fast[1] == general[1], (e, fast, general)


def test_relax_range_is_exact_for_tiles():
    i0, i1, k = Var("i0"), Var("i1"), Var("k")
    lo, ext = relax_range(Range(i0 * 8 + i1, 1), {i1: Range(0, 8)}, {i0: Range(0, 4)})
    assert tir.structural_equal(lo, i0 * 8) and ext == 8
    # a window read A[i + k] with k relaxed: width of the window plus the tile
    lo, ext = relax_range(Range(i0 * 8 + i1 + k, 1), {i1: Range(0, 8), k: Range(0, 3)},
                          {i0: Range(0, 4)})
    assert tir.structural_equal(lo, i0 * 8) and ext == 10
    # floordiv of a tile aligned to the divisor stays exact
    lo, ext = relax_range(Range(tir.floordiv(i0 * 8 + i1, 4), 1), {i1: Range(0, 8)}, {i0: Range(0, 4)})
    assert ext == 2
    # a region with its own extent
    lo, ext = relax_range(Range(i0 * 8, 8), {}, {i0: Range(0, 4)})
    assert ext == 8


def test_relax_range_unbounded_raises():
    x, y = Var("x"), Var("y")
    with pytest.raises(RegionError):
        relax_range(Range(x * y, 1), {y: Range(0, 4)}, {})


def test_union_side_and_boxes():
    i = Var("i")
    r = {i: Range(0, 10)}
    assert union_side((i, 2), (i + 3, 4), r)[1] == 7
    lo, ext = union_side((i + 3, 4), (i, 2), r)
    assert lo is i and ext == 7
    # starts at a non-constant distance: a conservative span from the distance's bound
    j = Var("j")
    lo, ext = union_side((i, 1), (j, 1), {i: Range(0, 4), j: Range(0, 4)})
    assert ext >= 4
    box = union_boxes([[(i, 1), (IntImm(0), 4)], [(i + 1, 1), (IntImm(2), 4)]], r)
    assert box[0][1] == 2 and box[1][1] == 6


def test_match_reducer_kinds():
    A_ = te.placeholder((4, 8), name="A")
    k = te.reduce_axis((0, 8), name="k")
    for red, kind in ((te.sum, "sum"), (te.max, "max"), (te.min, "min")):
        R = te.compute((4,), lambda i, red=red: red(A_[i, k], axis=k), name="R")
        blk = [b for b in tir.collect(te.create_prim_func([A_, R]).body, tir.Block) if b.name == "R"][0]
        m = match_reducer(blk)
        assert m is not None and m.kind == kind
        assert is_reduction_block(blk) and not is_spatial_block(blk)
    W = te.compute((4,), lambda i: te.sum(A_[i, k], axis=k, where=k < 4), name="W")
    blk = [b for b in tir.collect(te.create_prim_func([A_, W]).body, tir.Block) if b.name == "W"][0]
    m = match_reducer(blk)
    assert m.kind == "sum" and isinstance(m.rhs, tir.Select)


def test_match_reducer_rejects_non_reductions():
    A_ = te.placeholder((4,), name="A")
    E = te.compute((4,), lambda i: A_[i] * 2.0, name="E")
    blk = [b for b in tir.collect(te.create_prim_func([A_, E]).body, tir.Block) if b.name == "E"][0]
    assert match_reducer(blk) is None
    # body that is not `C op rhs` of the same element
    buf = tir.Buffer("C", (4,))
    v = Var("v")
    bad = tir.Block("bad", [tir.IterVar(v, Range(0, 4), "reduce")], [], [],
                    body=tir.BufferStore(buf, buf[v] - 1.0, [v]),
                    init=tir.BufferStore(buf, 0.0, [v]))
    assert match_reducer(bad) is None


def test_aligned_strides():
    assert aligned_strides((4, 30), (), 0, 32, 1) == (33, 1)
    assert aligned_strides((4, 32), (), 0, 32, 0) == (32, 1)
    s = aligned_strides((2, 4, 30), (), 1, 32, 8)
    assert s == (160, 40, 1)
    # a second alignment keeps the first one's padding
    s2 = aligned_strides((2, 4, 30), s, 0, 64, 0)
    assert s2[1:] == (40, 1) and s2[0] % 64 == 0 and s2[0] >= 160


def test_small_helpers():
    i, j = Var("i"), Var("j")
    assert var_plus_const(i + 3, {id(i)}) == (i, 3)
    assert var_plus_const(i - 2, {id(i)}) == (i, -2)
    assert var_plus_const(i * 2, {id(i)}) is None
    assert var_plus_const(j, {id(i)}) is None
    c = tir.logical_and(i < 3, j < 4)
    assert len(split_conjuncts(tir.logical_and(c, i > 0))) == 3
    assert used_vars(i + j * 2) == {id(i), id(j)}
    assert same_expr(i + 1, i + 1) and not same_expr(i + 1, j + 1)


def test_affine_form_and_injectivity():
    from raytune_ms.tir.affine import affine_form
    from raytune_ms.tir.analysis import injective_over

    i, j, o = Var("i"), Var("j"), Var("o")
    terms, c = affine_form(i * 8 + j - 3)
    assert dict(terms) == {i: 8, j: 1} and c == -3
    assert affine_form(tir.floordiv(i, 2)) is None
    assert injective_over(i * 8 + j, {i: 4, j: 8}) is True
    assert injective_over(o * 6 + j, {o: 3, j: 8}) is False  # overlapping windows
    assert injective_over(o * 6 + j, {j: 8}) is True  # o fixed
    assert injective_over(tir.floordiv(i, 2), {i: 4}) is None
