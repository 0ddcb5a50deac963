"""CUDA C generation and NVRTC compilation (no GPU needed): hand-bound schedules of small
programs; the suite's workloads are in test_cuda_suite.py."""

import pytest

import raytune_ms as ms
from raytune_ms import te
from raytune_ms.codegen.c_expr import CodegenError
from raytune_ms.codegen.cuda import codegen_cuda
from raytune_ms.codegen.cuda_artifact import CudaArtifact
from raytune_ms.codegen.cuda_bind import bind_outer_loops
from raytune_ms.runtime.nvrtc import NVRTCError, compile_cuda, nvrtc_available
from raytune_ms.testing.cuda_schedules import matmul as _matmul
from raytune_ms.testing.cuda_schedules import shared_matmul as _shared_matmul
from raytune_ms.testing.cuda_schedules import vector_copy as _vector_copy

needs_nvrtc = pytest.mark.skipif(not nvrtc_available(),
                                 reason="NVRTC not installed (pip install nvidia-cuda-nvrtc-cu12)")


def test_matmul_source_has_kernel_bindings_shared_and_syncs():
    art = codegen_cuda(_shared_matmul().mod.entry_func(), "cuda")
    src = art.source
    assert src.count("__global__") == 1 and "blockIdx.x" in src and "threadIdx.x" in src
    assert "__shared__" in src and src.count("__syncthreads();") >= 3
    (k,) = art.kernels
    assert k.grid == (16, 1, 1) and k.block == (256, 1, 1)
    # two 16x16 float tiles, compacted over the block's threads (not the whole 64x64 input)
    assert k.static_shared_bytes == 2 * 16 * 16 * 4
    assert art.workspaces == [] and [a[0] for a in k.args] == ["param"] * 3


@needs_nvrtc
def test_matmul_compiles_to_ptx_and_cubin():
    art = ms.build(_shared_matmul().mod, "cuda")
    assert art.image_kind == "ptx" and ".entry main_kernel0" in art.ptx or ".entry" in art.ptx
    cubin = ms.build(_shared_matmul().mod, "cuda -arch=sm_90")
    assert cubin.image_kind == "cubin" and cubin.image[:4] == b"\x7fELF"
    back = CudaArtifact.from_bytes(cubin.to_bytes())
    assert back.image == cubin.image and back.kernels == cubin.kernels and back.params == cubin.params


def test_vectorized_copy_is_float4():
    src = codegen_cuda(_vector_copy().mod.entry_func(), "cuda").source
    assert "*(float4*)" in src
    if nvrtc_available():
        compile_cuda(src, None, "copy")


def test_fp16_uses_half():
    A = te.placeholder((256,), name="A", dtype="float16")
    B = te.compute((256,), lambda i: A[i] * te.const(2.0, "float16"), name="B")
    sch = bind_outer_loops(ms.Schedule(te.create_prim_func([A, B])))
    src = codegen_cuda(sch.mod.entry_func(), "cuda").source
    assert "#include <cuda_fp16.h>" in src and "__half* __restrict__ A" in src and "__float2half" in src
    if nvrtc_available():
        compile_cuda(src, None, "half")


@pytest.mark.parametrize("threads", [16, 48, 256])
def test_cross_thread_reduction(threads):
    A = te.placeholder((8, 768), name="A")
    k = te.reduce_axis(768, "k")
    S = te.compute((8,), lambda i: te.sum(A[i, k], axis=k), name="S")
    sch = bind_outer_loops(ms.Schedule(te.create_prim_func([A, S])), cross_thread=threads)
    art = codegen_cuda(sch.mod.entry_func(), "cuda")
    assert art.kernels[0].block == (threads, 1, 1) and art.kernels[0].grid == (8, 1, 1)
    src = art.source
    if threads == 48:  # not a power of two: a shared-memory tree
        assert "red_buf" in src and "__shfl" not in src
    else:
        assert "__shfl_down_sync" in src
    assert "if (threadIdx.x == 0)" in src
    if nvrtc_available():
        compile_cuda(src, None, "rsum")


def test_unbound_block_is_rejected_by_name():
    with pytest.raises(CodegenError, match="block 'C' is not bound"):
        codegen_cuda(_matmul(), "cuda")


def test_disagreeing_thread_extents_are_rejected():
    sch = _shared_matmul(fetch_threads=128)
    with pytest.raises(CodegenError, match="threadIdx.x with different extents"):
        codegen_cuda(sch.mod.entry_func(), "cuda")


@needs_nvrtc
def test_compile_error_names_function_and_line():
    src = 'extern "C" __global__ void k(float* a) {\n  a[0] = undefined_thing;\n}\n'
    with pytest.raises(NVRTCError, match="mykernel") as info:
        compile_cuda(src, None, "mykernel")
    assert "line 2: a[0] = undefined_thing;" in str(info.value)


def test_cuda_targets_and_tags():
    t = ms.Target("nvidia/h100")
    assert t.kind == "cuda" and t.arch == "sm_90" and t.max_threads_per_block == 1024
    assert t.max_shared_memory_per_block == 49152 and t.registers_per_block == 65536 and t.thread_warp_size == 32
    assert ms.Target("nvidia/a100").arch == "sm_80" and ms.Target("nvidia/rtx-4090").arch == "sm_89"
    assert ms.Target("nvidia/v100").arch == "sm_70"
    assert ms.Target("cuda").arch is None and Target_roundtrip("cuda -arch=sm_90")
    with pytest.raises(ValueError, match="unknown target tag"):
        ms.Target("nvidia/h999")


def Target_roundtrip(text):
    t = ms.Target(text)
    return ms.Target(str(t)) == t and ms.Target(t.to_json()) == t


def test_a_condition_is_uniform_over_lanes_when_it_changes_only_between_vectors():
    """A padded fetch's `8*q + lane < 40` has one value per 8-lane vector (lane 0's), as has a
    condition without the lane; `8*q + lane < 36`, `4*q + lane < 40` and `q - lane < 3` do not."""
    from raytune_ms.codegen.affine import uniform_over_lanes
    from raytune_ms.tir import Var, all_of, structural_equal

    lane, q, r = Var("lane", "int64"), Var("q", "int64"), Var("r", "int64")
    at0 = uniform_over_lanes(all_of(q * 8 + lane < 40, r < 100), lane, 8)
    assert at0 is not None and "lane" not in str(at0)
    assert uniform_over_lanes(q * 8 + lane <= 39, lane, 8) is not None
    assert structural_equal(uniform_over_lanes(r < 100, lane, 8), r < 100)
    for cond in (q * 8 + lane < 36, q * 4 + lane < 40, q - lane < 3):
        assert uniform_over_lanes(cond, lane, 8) is None, cond
