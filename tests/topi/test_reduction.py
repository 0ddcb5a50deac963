"""sum / mean / amax / amin over axes (None, int, tuple, negative) with and without keepdim,
against numpy and torch (rtol 1e-4: reductions)."""

import pytest
import torch

from raytune_ms import te, topi
from raytune_ms.testing.operators import check, rand
from raytune_ms.topi import testing as ref

AXES = [None, 0, -1, (0, 2), (-1, 1), (0, 1, 2)]


def _torch(name, axis, keepdim):
    def f(x):
        if axis is None:
            out = getattr(torch, name)(x) if not keepdim else getattr(torch, name)(x, dim=(0, 1, 2), keepdim=True)
            return out
        return getattr(torch, name)(x, dim=axis, keepdim=keepdim)

    return f


@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("name", ["sum", "mean"])
def test_sum_mean(name, axis, keepdim):
    x = rand(3, 4, 5, seed=1)
    check(getattr(topi, name), getattr(ref, name), _torch(name, axis, keepdim), x, rtol=1e-4, atol=1e-4,
          axis=axis, keepdim=keepdim)


@pytest.mark.parametrize("name", ["amax", "amin"])
@pytest.mark.parametrize("axis, keepdim", [((0, 2), True), (-2, False)])
def test_amax_amin(name, axis, keepdim):
    check(getattr(topi, name), getattr(ref, name), _torch(name, axis, keepdim), rand(3, 4, 5, seed=2),
          axis=axis, keepdim=keepdim)


def test_errors():
    x = te.placeholder((2, 3), name="x")
    with pytest.raises(ValueError, match="sum: axis 2 out of range for a tensor of 2 dimension"):
        topi.sum(x, 2)
    with pytest.raises(ValueError, match=r"mean: an axis is repeated in \(1, -1\)"):
        topi.mean(x, (1, -1))
