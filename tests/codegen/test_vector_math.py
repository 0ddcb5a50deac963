"""exp, erf, tanh and sigmoid in a vectorized loop become the vector helpers of vector_math.py. exp matches
numpy's float32 exp to a few ulp over the whole range, overflow, denormals, infinities and NaN;
erf (GELU) matches float64 erf rounded to float32 within a few ulp on both sides of its branch
point, at the saturation, for signed zeros, infinities and NaN; tanh and sigmoid match float64
within a few ulp across their branch points and saturations."""

import math

import numpy as np
import pytest

from raytune_ms import build, tir
from raytune_ms.codegen import codegen_c
from raytune_ms.target import Target, missing_host_features
from raytune_ms.testing import func, nest

N = 1024


def _runnable(mcpu: str) -> str:
    """The target for `mcpu`; skips the test where this CPU cannot run its code (an AVX-512
    target on an AVX2 machine would die of an illegal instruction, and the test run with it)."""
    target = f"llvm -num-cores=1 -mcpu={mcpu}"
    missing = missing_host_features(target)
    if missing:
        pytest.skip(f"this CPU lacks {', '.join(missing)} for {target}")
    return target


def _kernel(op="exp", n=N):
    A = tir.Buffer("A", (n,))
    B = tir.Buffer("B", (n,))
    body = nest([("i", n, "vectorized")],
                lambda i: tir.BufferStore(B, tir.Call("float32", op, [A[i] * 1.0]), [i]))
    return func([A, B], body)


def _inputs():
    rng = np.random.default_rng(0)
    special = [0.0, -0.0, 1.0, -1.0, 88.3, 88.5, 88.72, 88.8, 89.0, 100.0, -87.3, -87.4, -100.0,
               -103.9, -104.5, -200.0, np.inf, -np.inf, np.nan, 1e-8, -1e-8]
    x = np.concatenate([np.array(special, np.float32), rng.uniform(-110, 95, N).astype(np.float32)])
    return x[:N].copy()


@pytest.mark.parametrize("op", ["exp", "erf", "tanh", "sigmoid"])
@pytest.mark.parametrize("mcpu", [None, "haswell", "skylake-avx512"])
def test_vector_helper_is_emitted(mcpu, op):
    target = Target("llvm -num-cores=1" + (f" -mcpu={mcpu}" if mcpu else ""))
    src = codegen_c(_kernel(op), target)
    lanes = target.vector_bytes // 4
    assert f"rtms_v{op}_v{lanes}f32(" in src and "emitted as a scalar loop" not in src


def test_vector_exp_matches_numpy():
    x = _inputs()
    out = np.zeros_like(x)
    build(_kernel(), "llvm -num-cores=1")(x, out)
    with np.errstate(over="ignore"):
        want = np.exp(x)
    assert np.array_equal(np.isnan(out), np.isnan(want))
    assert np.array_equal(np.isinf(out), np.isinf(want))
    fin = np.isfinite(want)
    tiny = np.finfo(np.float32).tiny
    normal = fin & (want >= tiny)
    rel = np.abs(out[normal] - want[normal]) / want[normal]
    assert rel.max() < 4 * np.finfo(np.float32).eps, rel.max()
    # denormal results: within a few of the smallest denormal steps
    assert np.abs(out[fin & ~normal] - want[fin & ~normal]).max() <= 4 * 2.0 ** -149


ERF_N = 4096


def _erf_inputs():
    rng = np.random.default_rng(0)
    special = [0.0, -0.0, 1.0, -1.0, 0.999999, 1.000001, 3.9, 3.92, 4.0, 4.5, -4.5, 10.0, 1e-30,
               -1e-30, 1e-8, 1.5e-45, np.inf, -np.inf, np.nan]
    x = np.concatenate([np.array(special), rng.uniform(-5, 5, ERF_N // 2),
                        rng.uniform(-1.2, 1.2, ERF_N // 4), 10.0 ** rng.uniform(-12, 0, ERF_N)])
    return x[:ERF_N].astype(np.float32)


@pytest.mark.parametrize("mcpu", ["haswell", "skylake-avx512"])
def test_vector_erf_matches_float64_erf(mcpu):
    x = _erf_inputs()
    out = np.zeros_like(x)
    build(_kernel("erf", ERF_N), _runnable(mcpu))(x, out)
    want = np.array([math.erf(v) if not math.isnan(v) else math.nan for v in x.astype(np.float64)])
    assert np.array_equal(np.isnan(out), np.isnan(want))
    fin = ~np.isnan(want)
    assert np.array_equal(np.signbit(out[fin]), np.signbit(want[fin]))
    ulp = np.spacing(np.abs(want[fin]).astype(np.float32)).astype(np.float64)
    err = np.abs(out[fin].astype(np.float64) - want[fin]) / ulp
    assert err.max() <= 4, (err.max(), x[fin][err.argmax()])


def _ulp_error(out, want):
    """Error of float32 `out` against float64 `want` in float32 ulps of `want` (NaN where want
    is NaN, checked separately)."""
    ulp = np.spacing(np.abs(want).astype(np.float32)).astype(np.float64)
    return np.abs(out.astype(np.float64) - want) / ulp


@pytest.mark.parametrize("mcpu", ["haswell", "skylake-avx512"])
def test_vector_tanh_matches_float64_tanh(mcpu):
    rng = np.random.default_rng(1)
    special = [0.0, -0.0, 0.624, 0.625, 0.626, -0.625, 8.9, 9.0, 9.1, 20.0, -20.0, 1e-30, -1e-30, 1.5e-45,
               np.inf, -np.inf, np.nan]
    x = np.concatenate([np.array(special), rng.uniform(-10, 10, ERF_N // 2), rng.uniform(-1, 1, ERF_N // 4),
                        10.0 ** rng.uniform(-12, 0, ERF_N)])[:ERF_N].astype(np.float32)
    out = np.zeros_like(x)
    build(_kernel("tanh", ERF_N), _runnable(mcpu))(x, out)
    want = np.tanh(x.astype(np.float64))
    assert np.array_equal(np.isnan(out), np.isnan(want))
    fin = ~np.isnan(want)
    assert np.array_equal(np.signbit(out[fin]), np.signbit(want[fin]))
    err = _ulp_error(out[fin], want[fin])
    assert err.max() <= 4, (err.max(), x[fin][err.argmax()])


@pytest.mark.parametrize("mcpu", ["haswell", "skylake-avx512"])
def test_vector_sigmoid_matches_float64_sigmoid(mcpu):
    rng = np.random.default_rng(2)
    special = [0.0, -0.0, 16.0, 17.0, 18.0, -80.0, -87.0, -88.7, -89.0, -104.0, -200.0, 200.0,
               np.inf, -np.inf, np.nan]
    x = np.concatenate([np.array(special), rng.uniform(-30, 30, ERF_N)])[:ERF_N].astype(np.float32)
    out = np.zeros_like(x)
    build(_kernel("sigmoid", ERF_N), _runnable(mcpu))(x, out)
    with np.errstate(over="ignore"):
        want = 1.0 / (1.0 + np.exp(-x.astype(np.float64)))
    assert np.array_equal(np.isnan(out), np.isnan(want))
    normal = ~np.isnan(want) & (want >= np.finfo(np.float32).tiny)
    err = _ulp_error(out[normal], want[normal])
    assert err.max() <= 4, (err.max(), x[normal][err.argmax()])
    tiny = ~np.isnan(want) & ~normal  # e^(-x) overflows there: 0, as the scalar form
    assert np.abs(out[tiny] - want[tiny]).max() <= np.finfo(np.float32).tiny
