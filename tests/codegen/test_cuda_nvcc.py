"""The generated CUDA C is also a plain .cu file: nvcc (host headers and all, where a user may
take a kernel's source) compiles it as NVRTC does. Programs: hand-bound suite workloads (fp32,
a cross-thread reduction) and sampled tensor-core GEMMs (fp16, mma.sync, cp.async pipeline)."""

import shutil
import subprocess

import pytest

import raytune_ms as ms
from raytune_ms import workloads
from raytune_ms.codegen.cuda import codegen_cuda
from raytune_ms.codegen.cuda_bind import bind_outer_loops
from raytune_ms.testing.tensorcore import context, samples
from raytune_ms.testing.tensorcore_programs import fp16_gemm
from raytune_ms.tir.tensor_intrin.cuda_mma import get_mma_intrin_group

SM80 = "cuda -arch=sm_80"
needs_nvcc = pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc not on PATH")


def _nvcc(source: str, tmp_path, name: str) -> None:
    cu = tmp_path / f"{name}.cu"
    cu.write_text(source)
    out = subprocess.run(["nvcc", "-c", "-arch=sm_80", "-o", str(tmp_path / f"{name}.o"), str(cu)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, f"nvcc failed on {name}:\n{out.stderr[-3000:]}"


@needs_nvcc
@pytest.mark.parametrize("name,cross", [("GMM", 0), ("C2D", 0), ("SFM", 64)])
def test_suite_cuda_compiles_with_nvcc(name, cross, tmp_path):
    sch = bind_outer_loops(ms.Schedule(workloads.get(name, "small").func), 128, cross)
    _nvcc(codegen_cuda(sch.mod["main"], "cuda").source, tmp_path, name)


@needs_nvcc
@pytest.mark.parametrize("group", ["mma", "wmma"])
def test_tensor_core_cuda_compiles_with_nvcc(group, tmp_path):
    """An NT GEMM, pipelined, with the mma.sync groups (ldmatrix without .trans) or the default
    wmma ones (a col_major matrix_b fragment)."""
    groups = [get_mma_intrin_group(), get_mma_intrin_group(trans_b=True)] if group == "mma" else None
    func = fp16_gemm(128, 128, 64, b_transposed=True)
    _, scheds = samples(context(func, SM80, intrin_groups=groups, use_software_pipeline=True), 1, seed=3)
    assert scheds
    source = codegen_cuda(scheds[0].mod.entry_func(), SM80).source
    assert "cp.async" in source
    assert "mma.sync" in source if group == "mma" else "nvcuda::wmma::col_major" in source
    _nvcc(source, tmp_path, f"nt_gemm_{group}")
