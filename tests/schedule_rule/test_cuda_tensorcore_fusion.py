"""The copies the tensor-core rule makes around a GEMM are folded into its kernel: a padded
GEMM with an epilogue (bias + relu) is one kernel (the zero padding read through a select in
the shared fetches, the cut-back a predicate on the write-back stage, the epilogue fused into
it); a transposed B (an NT GEMM) keeps its layout (the transposed-B wmma group), its
padding folded into its fetch; an output indexed in another order is written through a reindexed copy folded into
the write-back. Every path: several sampled candidates and mutated traces correct in the CPU
emulator against numpy, JSON replay, NVRTC's PTX with wmma."""

import shutil

import numpy as np
import pytest

from raytune_ms.codegen.cuda import codegen_cuda
from raytune_ms.mutator import MutateTileSize
from raytune_ms.runtime.nvrtc import compile_cuda, nvrtc_available
from raytune_ms.schedule import Schedule, Trace
from raytune_ms.space_generator.post_order_apply import PostOrderApply
from raytune_ms.testing.design_spaces import replays
from raytune_ms.testing.mutation import mutated_candidates
from raytune_ms.testing.tensorcore_programs import fp16_gemm, fp16_gemm_inputs, fp16_gemm_reference
from raytune_ms.tir import Block, For, collect, structural_equal
from raytune_ms.tir.tensor_intrin import TENSORIZED_KEY
from raytune_ms.tune_context import TuneContext

needs_gxx = pytest.mark.skipif(shutil.which("g++") is None, reason="the CUDA emulator needs g++")
SYNC = "wmma_sync_16x16x16_f16f16f32"


def _context(func):
    space = PostOrderApply(sch_rules="cuda-tensorcore", postprocs="cuda-tensorcore", mutator_probs="cuda-tensorcore")
    return TuneContext(func, target="cuda", space_generator=space, rand_state=5)


def _tensorized(sch) -> bool:
    return any(f.annotation(TENSORIZED_KEY) in (SYNC, SYNC + "_trans") for f in collect(sch.mod.entry_func().body, For))


def _run(func, sch, seed=0):
    from raytune_ms.testing.cuda_emulator import EmulatedModule

    arrays = fp16_gemm_inputs(func, seed)
    art = codegen_cuda(sch.mod.entry_func(), "cuda")
    EmulatedModule(art)(*arrays)
    return art, arrays


def _check_program(func, kinds, n_samples, kernels, **layout):
    """Sampled and mutated candidates: tensorized, `kernels` kernels, correct in the emulator;
    the trace holds the instruction `kinds` and replays from JSON; NVRTC's PTX has wmma."""
    ctx = _context(func)
    samples, _ = replays(ctx, n_samples, seed=1)
    assert len(samples) >= n_samples // 2, f"{len(samples)} of {n_samples} samples accepted"
    mutated, _ = mutated_candidates(ctx, samples[0].trace, MutateTileSize(), range(6))
    assert mutated, "no mutated trace accepted"
    for n, sch in enumerate(samples + mutated[:2]):
        assert _tensorized(sch)
        assert kinds <= {i.kind.name for i in sch.trace.insts}
        art, arrays = _run(func, sch, seed=n)
        assert len(art.kernels) == kernels, [k.name for k in art.kernels]
        np.testing.assert_allclose(arrays[-1], fp16_gemm_reference(arrays, **layout), rtol=1e-3, atol=1e-3)
    again = Schedule(func)
    Trace.from_json(samples[0].trace.as_json()).apply_to_schedule(again)
    assert structural_equal(again.mod, samples[0].mod)
    if nvrtc_available():
        for arch in ("compute_80", "compute_90"):
            ptx, _ = compile_cuda(art.source, arch, "fused")
            assert ptx.count(b"wmma.mma.sync") >= 1 and ptx.count(b".entry") == kernels
    return samples, mutated


@needs_gxx
def test_a_padded_gemm_keeps_its_epilogue_in_one_kernel():
    """100x72x40 + bias + relu: padded to 112x80x48, the padding read through selects in the
    shared fetches, the cut-back and the epilogue in the write-back stage: one kernel."""
    func = fp16_gemm(100, 72, 40, epilogue=True)
    samples, _ = _check_program(func, {"PadEinsum", "ReverseComputeInline", "ComputeInline"}, 4, 1,
                                epilogue=True)
    names = {b.name for b in collect(samples[0].mod.entry_func().body, Block)}
    assert not names & {"A_pad", "B_pad", "C_pad_unpad", "D", "E"}, names


@needs_gxx
def test_a_padded_nt_gemm_keeps_b_as_stored_on_tensor_cores():
    """C[i, j] += A[i, k] * B[j, k] (B transposed, 40 not a multiple of 16): the transposed-B
    group reads B [N, K] as it is (no ReIndex or TransformLayout), j padded to 48, the padding
    folded into the fetch: one kernel."""
    samples, _ = _check_program(fp16_gemm(48, 40, 32, b_transposed=True), {"PadEinsum"}, 4, 1, b_transposed=True)
    for sch in samples:
        assert not {"ReIndex", "TransformLayout"} & {i.kind.name for i in sch.trace.insts}


@needs_gxx
def test_an_output_in_another_order_is_written_through_a_reindexed_copy():
    """C[j, i] = sum_k A[i, k] * B[k, j]: the output is reindexed (write), laid out [i, j], and
    the copy back to C folded into the write-back stage: one kernel."""
    samples, _ = _check_program(fp16_gemm(32, 48, 32, out_transposed=True), {"ReIndex", "TransformLayout"}, 4, 1,
                                out_transposed=True)
    (inst,) = [i for i in samples[0].trace.insts if i.kind.name == "ReIndex"]
    assert inst.attrs == (0, "write")
