"""Every suite workload (small and standard), hand-bound (spatial loops fused into blockIdx.x x
128 threadIdx.x, reductions serial in a thread; and cross-thread reductions for NRM/SFM/LN),
generates CUDA C that NVRTC compiles to PTX. Prints kernels per workload and the compile rate."""

import time

import pytest

import raytune_ms as ms
from raytune_ms import workloads
from raytune_ms.codegen.cuda import codegen_cuda
from raytune_ms.codegen.cuda_bind import bind_outer_loops
from raytune_ms.runtime.nvrtc import compile_cuda, nvrtc_available
from raytune_ms.testing.cuda_schedules import compile_to_ptx

CROSS_THREAD = ("NRM", "SFM", "LN")


def _cases(size):
    for name in workloads.names():
        yield name, 0
        if name in CROSS_THREAD:
            yield name, 64


@pytest.mark.skipif(not nvrtc_available(), reason="NVRTC not installed (pip install nvidia-cuda-nvrtc-cu12)")
@pytest.mark.parametrize("size", ["small", "standard"])
def test_suite_compiles_to_ptx(size, capsys):
    kernels, secs, rows = 0, 0.0, []
    for name, cross in _cases(size):
        sch = bind_outer_loops(ms.Schedule(workloads.get(name, size).func), 128, cross)
        art, took = compile_to_ptx(sch, name)
        if cross:
            assert "__shfl_down_sync" in art.source, name
        secs += took
        kernels += len(art.kernels)
        rows.append(f"{name}{'(xthread)' if cross else ''}:{len(art.kernels)}")
    with capsys.disabled():
        print(f"\n[cuda suite {size}] {len(rows)} programs, {kernels} kernels, NVRTC "
              f"{kernels / secs:.1f} kernels/s ({len(rows) / secs:.1f} programs/s): {' '.join(rows)}")


@pytest.mark.slow
@pytest.mark.skipif(not nvrtc_available(), reason="NVRTC not installed (pip install nvidia-cuda-nvrtc-cu12)")
def test_suite_compiles_at_other_block_sizes(capsys):
    """32..1024 threads per block: more candidates per workload, each within the limits."""
    from raytune_ms.codegen.cuda_limits import limit_violations

    count, kernels, secs = 0, 0, 0.0
    for size in ("small", "standard"):
        for threads in (32, 256, 1024):
            for name, cross in _cases(size):
                sch = bind_outer_loops(ms.Schedule(workloads.get(name, size).func), threads, cross and threads)
                art = codegen_cuda(sch.mod.entry_func(), "cuda")
                assert not limit_violations(art, ms.Target("nvidia/h100")), name
                start = time.perf_counter()
                compile_cuda(art.source, None, name)
                secs += time.perf_counter() - start
                count, kernels = count + 1, kernels + len(art.kernels)
    with capsys.disabled():
        print(f"\n[cuda suite, 32/256/1024 threads] {count} programs, {kernels} kernels, "
              f"{kernels / secs:.1f} kernels/s")
