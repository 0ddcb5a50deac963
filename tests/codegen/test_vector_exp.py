"""exp in a vectorized loop becomes the vector helper of vector_math.py, and matches numpy's
float32 exp to a few ulp over the whole range, overflow, denormals, infinities and NaN."""

import numpy as np
import pytest

from raytune_ms import build, tir
from raytune_ms.codegen import codegen_c
from raytune_ms.target import Target
from raytune_ms.testing import func, nest

N = 1024


def _exp_kernel():
    A = tir.Buffer("A", (N,))
    B = tir.Buffer("B", (N,))
    body = nest([("i", N, "vectorized")],
                lambda i: tir.BufferStore(B, tir.Call("float32", "exp", [A[i] * 1.0]), [i]))
    return func([A, B], body)


def _inputs():
    rng = np.random.default_rng(0)
    special = [0.0, -0.0, 1.0, -1.0, 88.3, 88.5, 88.72, 88.8, 89.0, 100.0, -87.3, -87.4, -100.0,
               -103.9, -104.5, -200.0, np.inf, -np.inf, np.nan, 1e-8, -1e-8]
    x = np.concatenate([np.array(special, np.float32), rng.uniform(-110, 95, N).astype(np.float32)])
    return x[:N].copy()


@pytest.mark.parametrize("mcpu", [None, "haswell", "skylake-avx512"])
def test_vector_exp_is_emitted(mcpu):
    target = Target("llvm -num-cores=1" + (f" -mcpu={mcpu}" if mcpu else ""))
    src = codegen_c(_exp_kernel(), target)
    lanes = target.vector_bytes // 4
    assert f"rtms_vexp_v{lanes}f32(" in src and "emitted as a scalar loop" not in src


def test_vector_exp_matches_numpy():
    x = _inputs()
    out = np.zeros_like(x)
    build(_exp_kernel(), "llvm -num-cores=1")(x, out)
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
