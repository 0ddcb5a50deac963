"""Binary operators with numpy broadcasting (and Python-number operands) against numpy and torch."""

import pytest
import torch

from raytune_ms import te, topi
from raytune_ms.testing.operators import check, rand
from raytune_ms.topi import testing as ref

SHAPES = [((3, 4), (3, 4)), ((2, 3, 4), (4,)), ((2, 1, 4), (3, 1)), ((1,), (2, 3)), ((5, 1, 1, 2), (1, 3, 1))]


@pytest.mark.parametrize("a_shape, b_shape", SHAPES)
@pytest.mark.parametrize(
    "name, torch_fn",
    [("add", torch.add), ("sub", torch.sub), ("mul", torch.mul), ("div", torch.div)],
)
def test_binary_broadcast(name, torch_fn, a_shape, b_shape):
    a = rand(*a_shape, seed=1)
    b = rand(*b_shape, seed=2, lo=0.5, hi=2.0)
    check(getattr(topi, name), getattr(ref, name), torch_fn, a, b)


@pytest.mark.parametrize(
    "name, torch_fn", [("maximum", torch.maximum), ("minimum", torch.minimum), ("pow", torch.pow)]
)
def test_other_binary(name, torch_fn):
    a = rand(2, 3, 4, seed=3, lo=0.1, hi=2.0)
    b = rand(3, 1, seed=4)
    check(getattr(topi, name), getattr(ref, name), torch_fn, a, b)


def test_alpha_and_scalars():
    a, b = rand(3, 4, seed=1), rand(4, seed=2)
    check(topi.add, ref.add, lambda x, y: torch.add(x, y, alpha=0.5), a, b, alpha=0.5)
    check(topi.sub, ref.sub, lambda x, y: torch.sub(x, y, alpha=2), a, b, alpha=2)
    check(lambda x: topi.mul(x, 3.0), lambda x: ref.mul(x, 3.0), lambda x: x * 3.0, a)
    check(lambda x: topi.div(1.0, x), lambda x: ref.div(1.0, x), lambda x: 1.0 / x, a + 2.0)
    check(lambda x: topi.sub(2.0, x), lambda x: ref.sub(2.0, x), lambda x: 2.0 - x, a)


def test_shape_and_dtype_errors():
    a = te.placeholder((2, 3), name="lhs")
    b = te.placeholder((4,), name="rhs")
    with pytest.raises(ValueError, match=r"add of 'lhs' and 'rhs': shapes \(2, 3\), \(4,\) do not broadcast"):
        topi.add(a, b)
    c = te.placeholder((3,), "int32", name="ints")
    with pytest.raises(TypeError, match="mul: 'lhs' is float32 but 'ints' is int32"):
        topi.mul(a, c)
    with pytest.raises(TypeError, match="both operands are numbers"):
        topi.add(1.0, 2.0)
