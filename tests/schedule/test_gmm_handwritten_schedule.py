"""The hand-written GMM schedule of bench/gmm_handwritten.py, on small matmuls.

The bench shows the schedule primitives reach a BLAS-like kernel on GMM-1024; here the same
schedule function runs on small shapes (batched and plain, tiles that divide and that do not)
and every result is checked against numpy. The generated C is also checked for the
properties the speed rests on: the accumulator tile is a small array of vectors, the kernel's
vectorized loops are real vector code, and the outer loop is an OpenMP loop. No timing.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from raytune_ms import workloads
from raytune_ms.codegen import build
from raytune_ms.testing import bare_matmul as matmul

TARGET = "llvm -num-cores=2"


@pytest.fixture(scope="module")
def bench(load_bench):
    return load_bench("gmm_handwritten")


def run(bench, func, **config):
    """(result, expected, C source) of the scheduled `func` on random inputs."""
    mod = build(bench.schedule_gmm(func, **config).mod["main"], TARGET)
    rng = np.random.default_rng(0)
    a, b = (rng.uniform(-1, 1, p.shape).astype(np.float32) for p in func.params[:2])
    c = np.full(func.params[2].shape, np.nan, np.float32)  # the kernel must write every element
    mod(a, b, c)
    return c, np.matmul(a, b), mod.source


@pytest.mark.parametrize("config", [
    {"mr": 8, "nr": 32, "order": "j"},
    {"mr": 8, "nr": 32, "mc": 32, "order": "i"},
    {"mr": 4, "nr": 64, "order": "j", "pack_b": False},
])
def test_matmul_128(config, bench):
    got, want, _ = run(bench, matmul(128, 128, 128), **config)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_tile_not_dividing_rows(bench):
    """mr=12 on 128 rows: the last row tile is partial (a predicate guards it)."""
    got, want, _ = run(bench, matmul(128, 64, 48), mr=12, nr=32, order="j")
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_gmm_small_batched(bench):
    """The suite's GMM-1024 program at its small size: a batch-1 batched matmul."""
    wl = workloads.get("GMM-1024", size="small")
    got, want, _ = run(bench, wl.func, mr=8, nr=16, order="j")
    np.testing.assert_allclose(got, want, rtol=wl.rtol, atol=wl.atol)


def test_generated_kernel_shape(bench):
    """Register tile as vectors, no scalar fallback, one OpenMP loop, i unrolled."""
    _, _, src = run(bench, matmul(64, 64, 64), mr=8, nr=32, order="j")
    assert "local buffer C_local [8, 32], as vectors of" in src
    assert "emitted as a scalar loop" not in src
    assert src.count("#pragma omp parallel for") == 1
    assert re.search(r"unrolled: i_\d in \[0, 8\)", src)


def test_register_tile_reads_the_innermost_loops(bench):
    from raytune_ms.schedule import Schedule

    assert bench.register_tile(bench.schedule_gmm(matmul(64, 64, 64), mr=8, nr=32)) == "8x32"
    assert bench.register_tile(Schedule(matmul(4, 16, 8))) == "16x8"  # unscheduled: j, k innermost


@pytest.mark.slow
def test_tune_spaces_side_by_side(bench):
    """--tune at 2 trials on a small matmul, for the forced-AVX2 target: both spaces, correct."""
    rows = bench.tune_spaces(["avx2"], 2, "replay-trace", 1, rounds=2, calls=2, workload="GMM", size="small")
    assert [r["space"] for r in rows] == ["automatic", "handwritten"]
    for row in rows:
        assert row["correct"] and "-mattr=-avx512f" in row["target"]
        assert re.fullmatch(r"\d+x\d+", row["tile"]) and row["gflops"] > 0 and row["tuned_gflops"] > 0
    assert rows[1]["vs_handwritten"] == 1.0
