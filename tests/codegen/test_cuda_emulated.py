"""The generated CUDA C checked against numpy by running it on the CPU (testing/cuda_emulator.py:
one std::thread per CUDA thread, real barriers for __syncthreads and the shuffles) - correctness
of indices, launch grids, shared-memory syncs and cross-thread reductions without a GPU."""

import shutil

import numpy as np
import pytest

import raytune_ms as ms
from raytune_ms import te, workloads
from raytune_ms.codegen.cuda import codegen_cuda
from raytune_ms.codegen.cuda_bind import bind_outer_loops
from raytune_ms.testing.cuda_emulator import EmulatedModule
from raytune_ms.testing.cuda_schedules import shared_matmul, vector_copy

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="the CUDA emulator needs g++")


def _run_workload(name, cross):
    w = workloads.get(name, "small")
    sch = bind_outer_loops(ms.Schedule(w.func), 128, cross)
    arrays = w.make_inputs()
    EmulatedModule(codegen_cuda(sch.mod.entry_func(), "cuda"))(*arrays)
    ok, err = w.compare(arrays)
    assert ok, f"{name} (cross-thread {cross}): max error {err}"


@pytest.mark.parametrize("name,cross", [("GMM", 0), ("C2D", 0), ("SFM", 32), ("LN", 32)])
def test_suite_sample_matches_numpy(name, cross):
    _run_workload(name, cross)


@pytest.mark.slow
def test_every_small_workload_matches_numpy():
    for name in workloads.names():
        _run_workload(name, 0)
        if name in ("NRM", "SFM", "LN"):
            _run_workload(name, 64)


def test_shared_matmul_matches_numpy():
    art = codegen_cuda(shared_matmul().mod.entry_func(), "cuda")
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((64, 64), np.float32), rng.standard_normal((64, 64), np.float32)
    c = np.zeros((64, 64), np.float32)
    EmulatedModule(art)(a, b, c)
    np.testing.assert_allclose(c, a @ b, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("threads", [16, 48, 256])
def test_cross_thread_reductions_match_numpy(threads):
    A = te.placeholder((4, 768), name="A")
    k = te.reduce_axis(768, "k")
    S = te.compute((4,), lambda i: te.sum(A[i, k], axis=k), name="S")
    k2 = te.reduce_axis(768, "k2")
    M = te.compute((4,), lambda i: te.max(A[i, k2], axis=k2), name="M")
    sch = bind_outer_loops(ms.Schedule(te.create_prim_func([A, S, M])), cross_thread=threads)
    a = np.random.default_rng(1).standard_normal((4, 768)).astype(np.float32)
    s, m = np.zeros(4, np.float32), np.zeros(4, np.float32)
    EmulatedModule(codegen_cuda(sch.mod.entry_func(), "cuda"))(a, s, m)
    np.testing.assert_allclose(s, a.sum(1), rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(m, a.max(1))


def test_vector_copy_and_fp16_match_numpy():
    art = codegen_cuda(vector_copy("float16", lanes=8, threads=32).mod.entry_func(), "cuda")
    assert "*(int4*)" in art.source  # 8 halves: 16 bytes
    a = np.random.default_rng(2).standard_normal(1024).astype(np.float16)
    out = np.zeros(1024, np.float16)
    EmulatedModule(art)(a, out)
    np.testing.assert_array_equal(out, a)
