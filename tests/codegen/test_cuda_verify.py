"""VerifyGPUCode and the builder path for CUDA targets."""

import pytest

import raytune_ms as ms
from raytune_ms import te
from raytune_ms.builder import BuilderInput, LocalBuilder
from raytune_ms.codegen.cuda_artifact import CudaArtifact
from raytune_ms.codegen.cuda_bind import bind_outer_loops
from raytune_ms.codegen.cuda_limits import GPULimitError
from raytune_ms.postproc import VerifyGPUCode
from raytune_ms.postproc.verify_gpu_code import check
from raytune_ms.runtime.nvrtc import nvrtc_available


def _add(n=4096, threads=128):
    A = te.placeholder((n,), name="A")
    B = te.compute((n,), lambda i: A[i] + 1.0, name="B")
    return bind_outer_loops(ms.Schedule(te.create_prim_func([A, B])), threads)


def _shared(n):
    """A kernel staging n floats of A in shared memory."""
    A = te.placeholder((n,), name="A")
    B = te.compute((n,), lambda i: A[i] * 2.0, name="B")
    sch = ms.Schedule(te.create_prim_func([A, B]))
    b = sch.get_block("B")
    (i,) = sch.get_loops(b)
    o, t = sch.split(i, [1, None])
    sch.bind(o, "blockIdx.x")
    ts, tt = sch.split(t, [None, 128])
    sch.bind(tt, "threadIdx.x")
    cache = sch.cache_read(b, 0, "shared")
    sch.compute_at(cache, o)
    (ax,) = sch.get_loops(cache)[-1:]
    _, at = sch.split(ax, [None, 128])
    sch.bind(at, "threadIdx.x")
    return sch


def test_thread_limit_named():
    sch = _add(threads=2048)
    post = VerifyGPUCode("cuda")
    assert not post.apply(sch) and "max_threads_per_block=1024" in post.last_error
    with pytest.raises(GPULimitError, match="2048 threads per block .* max_threads_per_block=1024"):
        check(sch.mod, "nvidia/h100")
    assert VerifyGPUCode("nvidia/h100").apply(_add(threads=1024))


def test_shared_limit_named():
    small, big = _shared(4096), _shared(16384)  # 16 KiB and 64 KiB of shared memory
    assert VerifyGPUCode("cuda").apply(small)
    post = VerifyGPUCode("cuda")
    assert not post.apply(big) and "max_shared_memory_per_block=49152" in post.last_error
    assert VerifyGPUCode("cuda -max-shared-memory-per-block=232448").apply(big)
    with pytest.raises(GPULimitError, match="65536 bytes of shared memory exceed max_shared_memory_per_block"):
        ms.build(big.mod, "cuda")


def test_vthread_limit_named():
    A = te.placeholder((4096,), name="A")
    B = te.compute((4096,), lambda i: A[i] + 1.0, name="B")
    sch = ms.Schedule(te.create_prim_func([A, B]))
    (i,) = sch.get_loops(sch.get_block("B"))
    for loop, tag in zip(sch.split(i, [None, 16, 32]), ("blockIdx.x", "vthread.x", "threadIdx.x")):
        sch.bind(loop, tag)
    post = VerifyGPUCode("cuda")
    assert not post.apply(sch) and "max_vthread=8" in post.last_error


def test_unbound_candidate_rejected():
    A = te.placeholder((16,), name="A")
    B = te.compute((16,), lambda i: A[i], name="B")
    post = VerifyGPUCode("cuda")
    assert not post.apply(ms.Schedule(te.create_prim_func([A, B]))) and "block 'B'" in post.last_error


@pytest.mark.skipif(not nvrtc_available(), reason="NVRTC not installed (pip install nvidia-cuda-nvrtc-cu12)")
def test_local_builder_makes_cuda_artifacts():
    builder = LocalBuilder(max_workers=1, slot=False)
    try:
        ok, bad = builder.build([BuilderInput(_add().mod, "cuda"), BuilderInput(_add(threads=2048).mod, "cuda")])
    finally:
        builder.shutdown()
    art = CudaArtifact.from_bytes(ok.artifact)
    assert ok.ok and art.image_kind == "ptx" and art.kernels[0].block == (128, 1, 1) and ".entry" in art.ptx
    assert not bad.ok and "max_threads_per_block" in bad.error_msg
