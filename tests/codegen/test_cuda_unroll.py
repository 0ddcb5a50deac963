"""Unrolled loops in CUDA C are `#pragma unroll` loops (nvcc unrolls them), not one copy of the
body per value, except inside a small serial loop (which nvcc then unrolls itself, as it does
over straight-line code); either way the kernel computes the same result."""

import re
import shutil

import numpy as np
import pytest

import raytune_ms as ms
from raytune_ms.codegen.cuda import codegen_cuda
from raytune_ms.runtime.nvrtc import compile_cuda, nvrtc_available
from raytune_ms.testing.cuda_schedules import matmul


def _register_tiled(step: int, n: int = 32):
    """A matmul whose threads accumulate 4x4 register tiles, under an auto-unroll annotation
    of `step` (as RewriteParallelVectorizeUnroll writes it)."""
    sch = ms.Schedule(matmul(n))
    c = sch.get_block("C")
    i, j, k = sch.get_loops(c)
    i0, i1, i2 = sch.split(i, [None, 4, 4])
    j0, j1, j2 = sch.split(j, [None, 4, 4])
    sch.reorder(i0, j0, i1, j1, k, i2, j2)
    bx = sch.fuse(i0, j0)
    tx = sch.fuse(i1, j1)
    sch.bind(bx, "blockIdx.x")
    sch.bind(tx, "threadIdx.x")
    sch.reverse_compute_at(sch.cache_write(c, 0, "local"), tx)
    sch.annotate(bx, "pragma_auto_unroll_max_step", step)
    sch.annotate(bx, "pragma_unroll_explicit", 1)
    sch.decompose_reduction(c, k)
    return sch


def _without_pragmas(src: str) -> list:
    return [line for line in src.splitlines() if line.strip() != "#pragma unroll"]


def _source(step: int, n: int = 32) -> str:
    return codegen_cuda(_register_tiled(step, n).mod.entry_func(), "cuda").source


UPDATE = "C_local[((i_2_1 * 4) + j_2_1)] = (C_local["


def test_unrolled_loops_are_pragmas():
    plain, whole = _source(0), _source(1024)
    assert "#pragma unroll" not in plain and "/* unrolled" not in whole
    assert _without_pragmas(plain) == _without_pragmas(whole)
    # the 4x4 tile loops (init, update, write-back) and the 32-long k loop
    assert whole.count("#pragma unroll") == 7
    assert re.search(r"#pragma unroll\n\s*for \(int64_t k = 0; k < 32; \+\+k\)", whole)
    assert whole.count(UPDATE) == 1
    # 16 steps at k = 64: the tile loops unrolled, the k loop (64 x 16 statements) serial
    big_k = _source(16, 64)
    assert big_k.count("#pragma unroll") == 6 and big_k.count(UPDATE) == 1
    assert _without_pragmas(big_k) == _without_pragmas(codegen_cuda(
        _register_tiled(0, 64).mod.entry_func(), "cuda").source)
    if nvrtc_available():
        compile_cuda(whole, None, "register_tiled")


def test_small_serial_loop_holds_copies():
    """16 steps at k = 32: the serial k loop is 32 x 16 statements unrolled (SMALL_SERIAL_LOOP),
    so the update's tile loops are copies inside it (the init and write-back stay pragmas)."""
    src = _source(16)
    assert src.count("/* unrolled") == 5 and src.count("#pragma unroll") == 4
    assert src.count("C_local[") - src.count(UPDATE) > 16  # 16 copies of the update, by value
    assert "C_local[5] = (C_local[5] + " in src
    if nvrtc_available():
        compile_cuda(src, None, "register_tiled_copies")


@pytest.mark.skipif(shutil.which("g++") is None, reason="the CUDA emulator needs g++")
@pytest.mark.parametrize("step", [16, 1024])
def test_unrolled_register_tile_matches_numpy(step):
    from raytune_ms.testing.cuda_emulator import EmulatedModule

    rng = np.random.default_rng(0)
    a, b = (rng.random((32, 32), dtype=np.float32) for _ in range(2))
    c = np.zeros((32, 32), np.float32)
    EmulatedModule(codegen_cuda(_register_tiled(step).mod.entry_func(), "cuda"))(a, b, c)
    np.testing.assert_allclose(c, a @ b, rtol=1e-5, atol=1e-5)
