"""The register-blocked, panel-packed matmul schedule: correct, and (slow) how fast it runs.

Schedule: j-tiles of 32 columns in parallel; per j-tile B's panel is packed into a [K][32]
buffer; per 8-row i-tile an 8x32 accumulator (cache_write, local) lives in vector registers
while k runs over the whole reduction, i unrolled by 8, j vectorized by 32.
"""

import time

import numpy as np
import pytest

import raytune_ms as ms
from raytune_ms import te
from raytune_ms.schedule import Schedule


def gmm(n, m, k):
    A = te.placeholder((n, k), name="A")
    B = te.placeholder((k, m), name="B")
    r = te.reduce_axis(k, "k")
    C = te.compute((n, m), lambda i, j: te.sum(A[i, r] * B[r, j], axis=[r]), name="C")
    return te.create_prim_func([A, B, C])


def register_blocked(func, mi=8, nj=32, pack=True):
    sch = Schedule(func)
    b = sch.get_block("C")
    i, j, k = sch.get_loops(b)
    i0, i1 = sch.split(i, [None, mi])
    j0, j1 = sch.split(j, [None, nj])
    sch.reorder(j0, i0, k, i1, j1)
    acc = sch.cache_write(b, 0, "local")
    sch.reverse_compute_at(acc, i0)
    if pack:
        panel = sch.cache_read(b, 1, "global")
        sch.compute_at(panel, j0)
        sch.vectorize(sch.get_loops(panel)[-1])
    sch.parallel(j0)
    sch.unroll(i1)
    sch.vectorize(j1)
    sch.vectorize(sch.get_loops(acc)[-1])
    return sch.mod["main"]


@pytest.mark.parametrize("pack", [True, False])
def test_register_blocked_gmm_is_correct(pack):
    n, m, k = 48, 96, 40
    f = register_blocked(gmm(n, m, k), pack=pack)
    mod = ms.build(f, "llvm")
    assert "rtms_v16f32 C_local[16]" in mod.source or "rtms_v8f32 C_local[32]" in mod.source
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((n, k), "float32"), rng.standard_normal((k, m), "float32")
    c = np.full((n, m), np.nan, "float32")
    mod(a, b, c)
    np.testing.assert_allclose(c, a @ b, rtol=1e-4, atol=1e-4)


@pytest.mark.slow
def test_gmm_1024_throughput_report():
    """Prints GFLOP/s of the schedule and of torch.matmul on 2 threads (no threshold)."""
    torch = pytest.importorskip("torch")
    n = 1024
    mod = ms.build(register_blocked(gmm(n, n, n)), "llvm")
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((n, n), "float32"), rng.standard_normal((n, n), "float32")
    c = np.zeros((n, n), "float32")
    ours = min(mod.time(a, b, c, number=3, repeat=5))
    np.testing.assert_allclose(c, a @ b, rtol=1e-3, atol=1e-2)
    torch.set_num_threads(2)
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    torch.matmul(ta, tb)
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(3):
            torch.matmul(ta, tb)
        best = min(best, (time.perf_counter() - t0) / 3)
    flop = 2.0 * n**3
    print(f"\nGMM-1024: raytune_ms {flop / ours / 1e9:.1f} GFLOP/s, torch {flop / best / 1e9:.1f} GFLOP/s")
