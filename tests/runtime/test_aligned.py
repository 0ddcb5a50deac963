"""Cache-line-aligned kernel arguments: the helpers' arrays start on 64-byte boundaries, the
suite and the runner hand kernels such arrays, and a kernel stays correct (checked against
numpy) on arguments that are not aligned at all (it must never rely on the alignment)."""

import numpy as np
import pytest

import raytune_ms as ms
from raytune_ms.arg_info import ArgInfo
from raytune_ms.codegen import build
from raytune_ms.codegen.build import build_artifact
from raytune_ms.runner import evaluate
from raytune_ms.runner.hooks import Device, default_alloc_argument
from raytune_ms.runtime import aligned_copy, aligned_empty


@pytest.mark.parametrize("shape", [(), (3,), (7, 5), (1, 112, 112, 32), (0, 4)])
@pytest.mark.parametrize("dtype", ["float32", "float16", "int8", "bool"])
def test_aligned_arrays_start_on_a_cache_line(shape, dtype):
    a = aligned_empty(shape, dtype)
    assert a.shape == shape and a.dtype == np.dtype(dtype)
    assert a.flags.c_contiguous and a.flags.writeable
    if a.size:
        assert a.ctypes.data % 64 == 0


def test_aligned_copy_keeps_the_values():
    src = np.random.default_rng(0).uniform(-1, 1, (1, 112, 112, 32)).astype(np.float32)[:, :, ::2]
    out = aligned_copy(src)
    assert out.ctypes.data % 64 == 0 and out.flags.c_contiguous
    np.testing.assert_array_equal(out, src)
    assert not np.shares_memory(out, src)


def test_suite_inputs_are_aligned():
    for name in ("DEP", "C2D", "GMM"):
        arrays = ms.workloads.get(name, "small").make_inputs(seed=1)
        assert all(a.ctypes.data % 64 == 0 for a in arrays), name


def test_runner_arguments_are_aligned():
    dep = ms.workloads.get("DEP", "small")
    artifact = build_artifact(dep.func, "llvm")
    specs = evaluate.arg_specs(ArgInfo.from_prim_func(dep.func))
    evaluate.first_run(artifact, specs)
    assert all(a.ctypes.data % 64 == 0 for a in evaluate.checked_arguments())
    for args in default_alloc_argument(Device("cpu", 0), None, 2):
        assert all(a.ctypes.data % 64 == 0 for a in args)


def test_a_kernel_is_correct_on_unaligned_arguments():
    dep = ms.workloads.get("DEP", "small")
    kernel = build(dep.func, "llvm")
    arrays = []
    for a in dep.make_inputs(seed=2):  # each moved 4 bytes off its cache line
        raw = aligned_empty(a.size + 1, a.dtype)
        moved = raw[1:].reshape(a.shape)
        moved[...] = a
        arrays.append(moved)
    assert all(a.ctypes.data % 64 == 4 for a in arrays)
    kernel(*arrays)
    expected = dep.reference(*arrays[:2])[0]
    np.testing.assert_allclose(arrays[-1], expected, rtol=dep.rtol, atol=dep.atol)
