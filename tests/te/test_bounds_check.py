"""Out-of-bounds reads in te programs: rejected with the tensor, index and bound named; padding
under if_then_else is in bounds; a data-dependent index is clamped (numpy's "clip" take)."""

import numpy as np
import pytest

from raytune_ms import build, te, tir
from raytune_ms.tir.arith import narrow_ranges


def test_read_past_the_end_is_rejected():
    b = te.placeholder((4, 4), name="b")
    c = te.compute((8, 8), lambda i, j: b[i, j] * 2, name="c")
    with pytest.raises(ValueError, match=r"compute 'c': reads b\[v_i, v_j\]: index 0 \(v_i\) ranges over "
                                         r"\[0, 7\], outside the tensor's bound \[0, 3\] \(shape \(4, 4\)\)"):
        te.create_prim_func([b, c])


def test_negative_index_and_shifted_reduce_axis():
    a = te.placeholder((6,), name="a")
    k = te.reduce_axis((1, 6), name="k")
    ok = te.compute((1,), lambda i: te.sum(a[k], axis=k), name="ok")
    te.create_prim_func([a, ok])
    k = te.reduce_axis((0, 6), name="k")
    bad = te.compute((1,), lambda i: te.sum(a[k - 1], axis=k), name="bad")
    with pytest.raises(ValueError, match=r"compute 'bad': reads a\[.*index 0 .* ranges over \[-1, 4\]"):
        te.create_prim_func([a, bad])


def test_padding_is_in_bounds_under_its_condition():
    a = te.placeholder((4,), name="a")
    pad = te.compute((8,), lambda i: te.if_then_else(te.all(i >= 2, i < 6), a[i - 2], 0.0), name="pad")
    x = np.arange(4, dtype="float32") + 1
    out = np.zeros(8, "float32")
    build(te.create_prim_func([a, pad]), target="llvm")(x, out)
    np.testing.assert_array_equal(out, np.pad(x, 2))
    loose = te.compute((8,), lambda i: te.if_then_else(i >= 2, a[i - 2], 0.0), name="loose")
    with pytest.raises(ValueError, match=r"compute 'loose': reads a\[\(v_i - 2\)\].* \[0, 5\]"):
        te.create_prim_func([a, loose])
    negated = te.compute((8,), lambda i: te.if_then_else(i < 4, 0.0, a[i - 4]), name="negated")
    te.create_prim_func([a, negated])  # the else branch holds under `i >= 4`


def test_gather_index_is_clamped():
    a = te.placeholder((5,), name="a")
    idx = te.placeholder((4,), dtype="int32", name="idx")
    g = te.compute((4,), lambda i: a[idx[i]], name="g")
    x = np.arange(5, dtype="float32") * 10
    ix = np.array([0, 4, 9, -3], dtype="int32")
    out = np.zeros(4, "float32")
    build(te.create_prim_func([a, idx, g]), target="llvm")(x, ix, out)
    np.testing.assert_array_equal(out, np.take(x, ix, mode="clip"))


def test_narrow_ranges():
    i = tir.Var("i")
    dom = {i: tir.Range(0, 10)}

    def span(cond):
        r = narrow_ranges(cond, dom)[i]
        return r.min.value, r.min.value + r.extent.value - 1

    assert span(tir.all_of(i >= 2, i < 7)) == (2, 6)
    assert span(i * 3 + 1 <= 10) == (0, 3)
    assert span(i * -2 > -9) == (0, 4)
    assert span(tir.EQ(i * 2, tir.const(6))) == (3, 3)
    assert narrow_ranges(tir.EQ(i * 2, tir.const(7)), dom)[i].extent.value == 0


def test_narrow_ranges_of_an_affine_sum():
    """A guard over several bounded variables bounds each by what the others leave it (a
    cooperative fetch's 256*ty + 8*tx + v < 4096 with tx < 32, v < 8: ty < 16)."""
    ty, tx, v = tir.Var("ty"), tir.Var("tx"), tir.Var("v")
    dom = {ty: tir.Range(0, 32), tx: tir.Range(0, 32), v: tir.Range(0, 8)}
    out = narrow_ranges(ty * 256 + tx * 8 + v < 4096, dom)
    assert (out[ty].min.value, out[ty].extent.value) == (0, 16)
    assert out[tx] is dom[tx] and out[v] is dom[v]  # not tightened: their ranges are kept
    out = narrow_ranges(tir.all_of(ty - tx >= 20, tx + 3 > 5), dom)
    # ty - tx >= 20 leaves ty >= 20 and tx <= 11; with tx >= 3 first, ty >= 23
    assert out[ty].min.value in (20, 23) and out[ty].min.value + out[ty].extent.value == 32
    assert (out[tx].min.value, out[tx].extent.value) == (3, 9)
