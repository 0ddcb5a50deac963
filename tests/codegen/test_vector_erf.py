"""erf in a vectorized loop (GELU) becomes the vector helper of vector_math.py, and matches
float64 erf rounded to float32 within a few ulp on both sides of its branch point, at the
saturation, for signed zeros, infinities and NaN."""

import math

import numpy as np
import pytest

from raytune_ms import build, tir
from raytune_ms.codegen import codegen_c
from raytune_ms.target import Target
from raytune_ms.testing import func, nest

N = 4096


def _erf_kernel():
    A = tir.Buffer("A", (N,))
    B = tir.Buffer("B", (N,))
    body = nest([("i", N, "vectorized")],
                lambda i: tir.BufferStore(B, tir.Call("float32", "erf", [A[i] * 1.0]), [i]))
    return func([A, B], body)


def _inputs():
    rng = np.random.default_rng(0)
    special = [0.0, -0.0, 1.0, -1.0, 0.999999, 1.000001, 3.9, 3.92, 4.0, 4.5, -4.5, 10.0, 1e-30,
               -1e-30, 1e-8, 1.5e-45, np.inf, -np.inf, np.nan]
    x = np.concatenate([np.array(special), rng.uniform(-5, 5, N // 2),
                        rng.uniform(-1.2, 1.2, N // 4), 10.0 ** rng.uniform(-12, 0, N)])
    return x[:N].astype(np.float32)


@pytest.mark.parametrize("mcpu", [None, "haswell", "skylake-avx512"])
def test_vector_erf_is_emitted(mcpu):
    target = Target("llvm -num-cores=1" + (f" -mcpu={mcpu}" if mcpu else ""))
    src = codegen_c(_erf_kernel(), target)
    lanes = target.vector_bytes // 4
    assert f"rtms_verf_v{lanes}f32(" in src and "emitted as a scalar loop" not in src


@pytest.mark.parametrize("mcpu", ["haswell", "skylake-avx512"])
def test_vector_erf_matches_float64_erf(mcpu):
    x = _inputs()
    out = np.zeros_like(x)
    build(_erf_kernel(), f"llvm -num-cores=1 -mcpu={mcpu}")(x, out)
    want = np.array([math.erf(v) if not math.isnan(v) else math.nan for v in x.astype(np.float64)])
    assert np.array_equal(np.isnan(out), np.isnan(want))
    fin = ~np.isnan(want)
    assert np.array_equal(np.signbit(out[fin]), np.signbit(want[fin]))
    ulp = np.spacing(np.abs(want[fin]).astype(np.float32)).astype(np.float64)
    err = np.abs(out[fin].astype(np.float64) - want[fin]) / ulp
    assert err.max() <= 4, (err.max(), x[fin][err.argmax()])
