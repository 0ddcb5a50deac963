"""A vectorized loop becomes vector instructions (checked in the assembly gcc writes)."""

import re
import subprocess

import pytest

from raytune_ms import tir
from raytune_ms.codegen import codegen_c
from raytune_ms.runtime.compile import compiler
from raytune_ms.target import Target
from raytune_ms.testing import func, nest


def _fma_kernel():
    A = tir.Buffer("A", (64, 64))
    X = tir.Buffer("X", (64,))
    Y = tir.Buffer("Y", (64, 64))
    body = nest([("i", 64, "serial"), ("j", 64, "vectorized")],
                lambda i, j: tir.BufferStore(Y, Y[i, j] + A[i, j] * X[i], [i, j]))
    return func([A, X, Y], body)


def _assembly(src, target, tmp_path):
    path = tmp_path / "k.c"
    path.write_text(src)
    flags = [f for f in target.cflags() if f != "-shared"]
    out = subprocess.run([compiler(), *flags, "-S", str(path), "-o", "-"], capture_output=True,
                         text=True, check=True)
    return out.stdout


@pytest.mark.parametrize("mcpu, reg", [("skylake-avx512", "zmm"), ("haswell", "ymm")])
def test_vectorized_loop_gives_vector_fma(tmp_path, mcpu, reg):
    target = Target(f"llvm -mcpu={mcpu} -num-cores=1")
    src = codegen_c(_fma_kernel(), target)
    lanes = target.vector_bytes // 4
    assert f"/* vectorized: j, {64 // lanes} x {lanes} lanes */" in src
    asm = _assembly(src, target, tmp_path)
    body = asm.split("fn_main:")[1].split("fn_main_time")[0]
    assert re.search(rf"vfmadd\w*ps\s+[^\n]*%{reg}", body), body[:2000]
