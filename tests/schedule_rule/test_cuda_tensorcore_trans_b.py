"""The transposed-B mma.sync group (get_mma_intrin_group(trans_b=True)): an NT GEMM
(C[i, j] += A[i, k] * B[j, k], B stored [N, K] as torch.nn.Linear's weight) is tensorized with B
kept in its layout (no ReIndex / TransformLayout copy; ldmatrix without .trans), an NN GEMM
with the same groups keeps the plain group, and without the transposed-B group an NT GEMM is
reindexed as before. Sampled candidates (padded, with a bias + relu epilogue, pipelined) match
numpy through the IR interpreter (the scalar reading of the program) and in the CUDA emulator
(the generated CUDA, ldmatrix and mma.sync lane by lane); NVRTC builds them for sm_80 and
sm_90, and their PTX loads B without .trans."""

import shutil

import numpy as np
import pytest

from raytune_ms.codegen.cuda import codegen_cuda
from raytune_ms.runtime.nvrtc import compile_cuda, nvrtc_available
from raytune_ms.schedule import Schedule, Trace
from raytune_ms.testing.interpreter import interpret
from raytune_ms.testing.tensorcore import context, intrins, samples
from raytune_ms.testing.tensorcore_programs import fp16_gemm, fp16_gemm_inputs, fp16_gemm_reference
from raytune_ms.tir import structural_equal
from raytune_ms.tir.tensor_intrin.cuda_mma import get_mma_intrin_group

SM80 = "cuda -arch=sm_80"
BOTH = [get_mma_intrin_group(), get_mma_intrin_group(trans_b=True)]
NT = {"mma_f16f16f32_trans_b", "mma_ldmatrix_f16_b_trans_shared"}
COPIES = {"ReIndex", "TransformLayout"}


def _kinds(sch) -> set:
    return {i.kind.name for i in sch.trace.insts}


def test_the_rule_picks_the_transposed_b_group_only_for_an_nt_gemm():
    nt, nn = fp16_gemm(64, 48, 32, b_transposed=True), fp16_gemm(64, 48, 32)
    (sch,) = samples(context(nt, SM80, intrin_groups=BOTH), 1)[1]
    assert NT <= set(intrins(sch)) and not COPIES & _kinds(sch)
    (sch,) = samples(context(nn, SM80, intrin_groups=BOTH[::-1]), 1)[1]
    assert "mma_f16f16f32" in intrins(sch) and not NT & set(intrins(sch))
    (sch,) = samples(context(nt, SM80, intrin_groups=BOTH[:1]), 1)[1]  # no transposed-B group: a copy
    assert "mma_f16f16f32" in intrins(sch) and COPIES <= _kinds(sch)
    with pytest.raises(ValueError, match="transposed A"):
        get_mma_intrin_group(trans_a=True)


@pytest.mark.skipif(shutil.which("g++") is None, reason="the CUDA emulator needs g++")
@pytest.mark.parametrize("shape,options", [((48, 40, 32), {}), ((100, 72, 40), {"epilogue": True})],
                         ids=["padded", "linear-bias-relu"])
@pytest.mark.parametrize("pipeline", [False, True], ids=["plain", "pipeline"])
def test_nt_candidates_match_numpy_in_the_interpreter_and_the_emulator(shape, options, pipeline):
    from raytune_ms.testing.cuda_emulator import EmulatedModule

    func = fp16_gemm(*shape, b_transposed=True, **options)
    ctx = context(func, SM80, intrin_groups=BOTH, use_software_pipeline=pipeline, vector_load_lens=[2, 8])
    _, scheds = samples(ctx, 3, seed=2)
    assert len(scheds) >= 2
    for n, sch in enumerate(scheds):
        assert NT <= set(intrins(sch)) and not COPIES & _kinds(sch)
        arrays = fp16_gemm_inputs(func, n)
        want = fp16_gemm_reference(arrays, b_transposed=True, **options)
        got = interpret(sch.mod.entry_func(), [a.copy() for a in arrays])[-1]
        np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-3)
        art = codegen_cuda(sch.mod.entry_func(), SM80)
        assert len(art.kernels) == 1 and "rtms_mma_load_b_trans(" in art.source
        EmulatedModule(art, stagger_us=5 if pipeline else 0)(*arrays)
        np.testing.assert_allclose(arrays[-1], want, rtol=1e-3, atol=1e-3)
    again = Schedule(func)
    Trace.from_json(scheds[0].trace.as_json()).apply_to_schedule(again)
    assert structural_equal(again.mod, scheds[0].mod)


@pytest.mark.skipif(not nvrtc_available(), reason="NVRTC not installed (pip install nvidia-cuda-nvrtc-cu12)")
def test_nt_candidates_build_for_sm_80_and_sm_90_without_a_transposing_load():
    func = fp16_gemm(128, 128, 64, b_transposed=True)
    _, scheds = samples(context(func, SM80, intrin_groups=BOTH, use_software_pipeline=True), 2, seed=3)
    assert scheds
    for n, sch in enumerate(scheds):
        art = codegen_cuda(sch.mod.entry_func(), SM80)
        for arch in ("sm_80", "sm_90"):
            assert compile_cuda(art.source, arch, f"nt{n}")[1] == "cubin"
        ptx = compile_cuda(art.source, "compute_80", f"nt{n}")[0].decode()
        assert "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32" in ptx
        assert "ldmatrix.sync.aligned.m8n8.x4.shared.b16" in ptx and ".trans" not in ptx
