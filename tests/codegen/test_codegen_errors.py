"""Programs the generator cannot express fail with errors that name the culprit."""

import pytest

from raytune_ms import tir
from raytune_ms.codegen import CodegenError, LoweringError, codegen_c
from raytune_ms.testing import func, nest


def test_unallocated_buffer_is_named():
    A = tir.Buffer("A", (4,))
    ghost = tir.Buffer("ghost", (4,))
    f = func([A], nest([("i", 4, "serial")], lambda i: tir.BufferStore(A, ghost[i], [i])))
    with pytest.raises(LoweringError, match="ghost"):
        codegen_c(f)


def test_free_variable_is_named():
    A = tir.Buffer("A", (4,))
    n = tir.Var("n_free")
    f = func([A], nest([("i", 4, "serial")], lambda i: tir.BufferStore(A, tir.cast("float32", n), [i])))
    with pytest.raises(CodegenError, match="n_free"):
        codegen_c(f)


def test_non_cpu_target_rejected():
    A = tir.Buffer("A", (4,))
    f = func([A], nest([("i", 4, "serial")], lambda i: tir.BufferStore(A, A[i] + 1.0, [i])))
    with pytest.raises(ValueError, match="cuda"):
        codegen_c(f, "cuda")
