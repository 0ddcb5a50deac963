"""Unary element-wise operators against numpy and torch."""

import pytest
import torch
import torch.nn.functional as F

from raytune_ms import topi
from raytune_ms.testing.operators import check, rand
from raytune_ms.topi import testing as ref

UNARY = [
    ("relu", {}, F.relu),
    ("leaky_relu", {"negative_slope": 0.2}, lambda x: F.leaky_relu(x, 0.2)),
    ("gelu", {}, F.gelu),
    ("gelu", {"approximate": "tanh"}, lambda x: F.gelu(x, approximate="tanh")),
    ("silu", {}, F.silu),
    ("sigmoid", {}, torch.sigmoid),
    ("tanh", {}, torch.tanh),
    ("exp", {}, torch.exp),
    ("erf", {}, torch.erf),
    ("abs", {}, torch.abs),
    ("neg", {}, torch.neg),
    ("clamp", {"min": -0.5, "max": 0.25}, lambda x: torch.clamp(x, -0.5, 0.25)),
    ("clamp", {"min": 0.1}, lambda x: torch.clamp(x, min=0.1)),
    ("clamp", {"max": -0.1}, lambda x: torch.clamp(x, max=-0.1)),
]


@pytest.mark.parametrize("name, kwargs, torch_fn", UNARY, ids=[f"{u[0]}-{i}" for i, u in enumerate(UNARY)])
def test_unary(name, kwargs, torch_fn):
    x = rand(3, 4, 5, lo=-3, hi=3)
    check(getattr(topi, name), getattr(ref, name), torch_fn, x, **kwargs)


@pytest.mark.parametrize("name, torch_fn", [("sqrt", torch.sqrt), ("rsqrt", torch.rsqrt), ("log", torch.log)])
def test_positive_domain(name, torch_fn):
    x = rand(2, 7, lo=0.1, hi=4)
    check(getattr(topi, name), getattr(ref, name), torch_fn, x)


def test_relu_on_integers_and_cast():
    import numpy as np

    from raytune_ms.testing.operators import placeholders
    from raytune_ms.topi.testing import run_te

    x = np.arange(-6, 6, dtype="int32").reshape(3, 4)
    (a,) = placeholders(x)
    (got,) = run_te([a], [topi.relu(a)], [x])
    assert (got == np.maximum(x, 0)).all()
    (f,) = run_te([a], [topi.cast(a, "float32")], [x])
    assert f.dtype == np.float32 and (f == x).all()


def test_errors_name_the_op():
    from raytune_ms import te

    i = te.placeholder((3,), "int32", name="idx")
    with pytest.raises(TypeError, match=r"gelu: 'idx' is int32"):
        topi.gelu(i)
    with pytest.raises(ValueError, match="approximate"):
        topi.gelu(te.placeholder((3,), name="x"), approximate="fast")
    with pytest.raises(ValueError, match="clamp 'x': min 1 > max 0"):
        topi.clamp(te.placeholder((3,), name="x"), 1, 0)


def test_every_operator_has_a_numpy_reference():
    helpers = {"causal_mask", "masked_fill", "fold_batch_norm", "cast"}  # checked inside other ops' tests
    ops = {n for n in dir(topi) if not n.startswith("_") and callable(getattr(topi, n))} - helpers
    missing = sorted(n for n in ops if not hasattr(ref, n))
    assert not missing, missing
