"""batch norm (inference, folded), layer norm, RMS norm, softmax and log_softmax, against numpy
and torch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from raytune_ms import te, topi
from raytune_ms.testing.operators import check, placeholders, rand
from raytune_ms.topi import testing as ref
from raytune_ms.topi.testing import run_te


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (4, 3), (2, 3, 7)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm(shape, affine):
    x = rand(*shape, seed=1)
    mean, var = rand(3, seed=2), rand(3, seed=3, lo=0.2, hi=2.0)
    w, b = rand(3, seed=4), rand(3, seed=5)
    if affine:
        check(topi.batch_norm, ref.batch_norm,
              lambda x, m, v, w, b: F.batch_norm(x, m, v, w, b, training=False, eps=1e-3),
              x, mean, var, w, b, eps=1e-3)
    else:
        check(topi.batch_norm, ref.batch_norm, lambda x, m, v: F.batch_norm(x, m, v, training=False), x, mean, var)


def test_fold_batch_norm_then_scale_shift():
    x = rand(2, 3, 4, 4, seed=1)
    mean, var, w, b = rand(3, seed=2), rand(3, seed=3, lo=0.2, hi=2.0), rand(3, seed=4), rand(3, seed=5)
    scale, shift = (a.astype("float32") for a in topi.fold_batch_norm(mean, var, w, b, eps=1e-5))
    want = F.batch_norm(*map(torch.from_numpy, (x, mean, var, w, b)), training=False).numpy()
    got = check(topi.scale_shift, ref.scale_shift, None, x, scale, shift)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape, norm_shape", [((4, 10), (10,)), ((2, 3, 4, 5), (4, 5))])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm(shape, norm_shape, affine):
    x = rand(*shape, seed=1, lo=-2, hi=3)
    w, b = rand(*norm_shape, seed=2), rand(*norm_shape, seed=3)
    if affine:
        check(lambda x, w, b: topi.layer_norm(x, norm_shape, w, b), lambda x, w, b: ref.layer_norm(x, norm_shape, w, b),
              lambda x, w, b: F.layer_norm(x, norm_shape, w, b), x, w, b, rtol=1e-4, atol=1e-4)
    else:
        check(topi.layer_norm, ref.layer_norm, lambda x: F.layer_norm(x, norm_shape), x, rtol=1e-4, atol=1e-4,
              normalized_shape=norm_shape)


@pytest.mark.parametrize("eps", [None, 1e-6])
def test_rms_norm(eps):
    x, w = rand(3, 4, 8, seed=1), rand(8, seed=2)
    check(lambda x, w: topi.rms_norm(x, (8,), w, eps), lambda x, w: ref.rms_norm(x, (8,), w, eps),
          lambda x, w: F.rms_norm(x, (8,), w, eps=eps), x, w, rtol=1e-4, atol=1e-4)
    check(topi.rms_norm, ref.rms_norm, lambda x: F.rms_norm(x, (4, 8), eps=eps), x, rtol=1e-4, atol=1e-4,
          normalized_shape=(4, 8), eps=eps)


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_and_log_softmax(axis):
    x = rand(3, 5, 4, seed=1, lo=-20, hi=20)  # wide range: the max subtraction matters
    check(topi.softmax, ref.softmax, lambda x: F.softmax(x, dim=axis), x, rtol=1e-4, atol=1e-5, axis=axis)
    check(topi.log_softmax, ref.log_softmax, lambda x: F.log_softmax(x, dim=axis), x, rtol=1e-4, atol=1e-4,
          axis=axis)


def test_softmax_is_stable_for_large_inputs():
    x = (rand(2, 6, seed=2) * 10 + 500.0).astype("float32")  # exp(500) overflows float32
    (a,) = placeholders(x)
    got = run_te([a], [topi.softmax(a)], [x])[0]
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, torch.softmax(torch.from_numpy(x), -1).numpy(), rtol=1e-4, atol=1e-6)


def test_errors():
    x = te.placeholder((2, 3, 4), name="x")
    with pytest.raises(ValueError, match=r"layer_norm: normalized_shape \(3,\) is not the trailing shape of 'x'"):
        topi.layer_norm(x, (3,))
    with pytest.raises(ValueError, match=r"layer_norm: weight 'w' has shape \(3,\), expected \(4,\)"):
        topi.layer_norm(x, 4, te.placeholder((3,), name="w"))
    with pytest.raises(ValueError, match=r"batch_norm: running_var 'v' \(4,\) for 3 channels"):
        topi.batch_norm(x, te.placeholder((3,), name="m"), te.placeholder((4,), name="v"))
    with pytest.raises(ValueError, match="softmax: axis 3 out of range"):
        topi.softmax(x, axis=3)
