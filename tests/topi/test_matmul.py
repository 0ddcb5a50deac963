"""matmul / mm / bmm / linear / addmm with every transposition, 1-d operands and broadcast batch
dimensions, against numpy and torch."""

import pytest
import torch
import torch.nn.functional as F

from raytune_ms import te, topi
from raytune_ms.testing.operators import check, rand
from raytune_ms.topi import testing as ref


def _t(x, flag):
    return x.transpose(-1, -2) if flag else x


@pytest.mark.parametrize("ta, tb", [(False, False), (True, False), (False, True), (True, True)])
def test_mm_and_bmm_transposed(ta, tb):
    a = rand(*((7, 5) if ta else (5, 7)), seed=1)
    b = rand(*((3, 7) if tb else (7, 3)), seed=2)
    check(topi.matmul, ref.matmul, lambda x, y: _t(x, ta) @ _t(y, tb), a, b, transpose_a=ta, transpose_b=tb)
    a3 = rand(*((2, 7, 5) if ta else (2, 5, 7)), seed=3)
    b3 = rand(*((2, 3, 7) if tb else (2, 7, 3)), seed=4)
    check(topi.bmm, ref.bmm, lambda x, y: torch.bmm(_t(x, ta), _t(y, tb)), a3, b3, transpose_a=ta, transpose_b=tb)


@pytest.mark.parametrize(
    "a_shape, b_shape",
    [((6,), (6,)), ((6,), (6, 4)), ((3, 6), (6,)), ((2, 1, 3, 6), (4, 6, 5)), ((3, 6), (2, 6, 4)), ((2, 5, 6), (6, 3))],
)
def test_matmul_broadcast_and_vectors(a_shape, b_shape):
    check(topi.matmul, ref.matmul, torch.matmul, rand(*a_shape, seed=1), rand(*b_shape, seed=2))


def test_mm():
    check(topi.mm, ref.mm, torch.mm, rand(4, 9, seed=1), rand(9, 2, seed=2))


@pytest.mark.parametrize("x_shape", [(4, 6), (2, 3, 6)])
@pytest.mark.parametrize("with_bias", [True, False])
def test_linear(x_shape, with_bias):
    x, w, b = rand(*x_shape, seed=1), rand(5, 6, seed=2), rand(5, seed=3)
    if with_bias:
        check(topi.linear, ref.linear, F.linear, x, w, b)
    else:
        check(topi.linear, ref.linear, F.linear, x, w)


@pytest.mark.parametrize("bias_shape", [(4, 3), (3,), (4, 1)])
def test_addmm(bias_shape):
    bias, a, b = rand(*bias_shape, seed=1), rand(4, 6, seed=2), rand(6, 3, seed=3)
    check(topi.addmm, ref.addmm, lambda c, x, y: torch.addmm(c, x, y, beta=0.5, alpha=2.0), bias, a, b,
          beta=0.5, alpha=2.0)
    check(topi.addmm, ref.addmm, torch.addmm, bias, a, b)


def test_linear_blocks_are_anchor_then_bias():
    x, w, b = (te.placeholder(s, name=n) for s, n in [((4, 6), "x"), ((5, 6), "w"), ((5,), "b")])
    func = te.create_prim_func([x, w, b, topi.linear(x, w, b)])
    names = [blk for blk in ("T_linear_matmul", "T_linear_bias") if blk in str(func)]
    assert names == ["T_linear_matmul", "T_linear_bias"]


def test_shape_errors():
    a, b = te.placeholder((3, 4), name="A"), te.placeholder((5, 2), name="B")
    msg = r"matmul of 'A' \(3, 4\) and 'B' \(5, 2\): reduction dimensions differ \(4 vs 5\)"
    with pytest.raises(ValueError, match=msg):
        topi.matmul(a, b)
    with pytest.raises(ValueError, match="bmm: first operand 'A' must have 3 dimensions"):
        topi.bmm(a, b)
    a3, b3 = te.placeholder((2, 3, 4), name="A3"), te.placeholder((3, 4, 5), name="B3")
    with pytest.raises(ValueError, match="bmm: batch sizes differ"):
        topi.bmm(a3, b3)
    with pytest.raises(ValueError, match="linear: input 'A' .* has 4 features, weight 'B' .* expects 2"):
        topi.linear(a, b)
    with pytest.raises(ValueError, match=r"do not broadcast"):
        topi.matmul(te.placeholder((2, 3, 4), name="P"), te.placeholder((3, 4, 4), name="Q"))
