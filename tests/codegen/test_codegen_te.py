"""Unscheduled te programs: generated C computes what numpy computes."""

import math

import numpy as np
import pytest

import raytune_ms as ms
from raytune_ms import te, workloads
from raytune_ms.codegen import codegen_c
from raytune_ms.testing import rand, run

N = 37


def _unary(op, dtype="float32", lo=-2.0, hi=2.0):
    A = te.placeholder((N,), dtype, name="A")
    B = te.compute((N,), lambda i: op(A[i]), name="B")
    f = te.create_prim_func([A, B])
    a = np.linspace(lo, hi, N).astype(dtype)
    return run(f, a, np.zeros(N, dtype))[1], a


@pytest.mark.parametrize("name, ref, lo, hi", [
    ("exp", np.exp, -3, 3), ("log", np.log, 0.1, 5), ("sqrt", np.sqrt, 0, 9),
    ("rsqrt", lambda x: 1 / np.sqrt(x), 0.5, 9), ("tanh", np.tanh, -3, 3),
    ("sigmoid", lambda x: 1 / (1 + np.exp(-x)), -5, 5),
    ("erf", np.vectorize(math.erf), -2, 2), ("fabs", np.abs, -2, 2), ("floor", np.floor, -3, 3),
    ("ceil", np.ceil, -3, 3), ("round", np.round, -3.5, 3.5), ("sin", np.sin, -3, 3),
    ("cos", np.cos, -3, 3), ("exp2", np.exp2, -3, 3), ("log2", np.log2, 0.1, 9),
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_math_intrinsics(name, ref, lo, hi, dtype):
    got, a = _unary(getattr(te, name), dtype, lo, hi)
    np.testing.assert_allclose(got, ref(a.astype(np.float64)).astype(dtype), rtol=1e-5, atol=1e-6)


def test_binary_intrinsics_and_arithmetic():
    A = te.placeholder((N,), name="A")
    B = te.placeholder((N,), name="B")
    C = te.compute((N,), lambda i: te.pow(te.fabs(A[i]), B[i]) + te.fmin(A[i], B[i]) * 2.0
                   - te.fmax(A[i], B[i]) / (B[i] * B[i] + 1.0), name="C")
    a, b = rand(N, seed=1), rand(N, seed=2)
    got = run(te.create_prim_func([A, B, C]), a, b, np.zeros(N, "float32"))[2]
    want = np.abs(a) ** b + np.minimum(a, b) * 2 - np.maximum(a, b) / (b * b + 1)
    np.testing.assert_allclose(got, want, rtol=1e-5)


@pytest.mark.parametrize("reducer, ref", [(te.sum, np.sum), (te.max, np.max), (te.min, np.min)])
def test_reductions_keep_inf_semantics(reducer, ref):
    A = te.placeholder((5, 16), name="A")
    k = te.reduce_axis(16, "k")
    B = te.compute((5,), lambda i: reducer(A[i, k], axis=[k]), name="B")
    a = rand((5, 16))
    a[1, :] = -np.inf
    a[2, 3] = np.inf
    got = run(te.create_prim_func([A, B]), a, np.zeros(5, "float32"))[1]
    np.testing.assert_allclose(got, ref(a, axis=1), rtol=1e-5)


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64"])
def test_integer_floor_division_of_negatives(dtype):
    A = te.placeholder((N,), dtype, name="A")
    B = te.placeholder((N,), dtype, name="B")
    Q = te.compute((N,), lambda i: A[i] // B[i], name="Q")
    R = te.compute((N,), lambda i: A[i] % B[i], name="R")
    a = np.arange(-18, N - 18).astype(dtype)
    b = np.where(np.arange(N) % 2 == 0, 3, -4).astype(dtype)
    out = run(te.create_prim_func([A, B, Q, R]), a, b, np.zeros(N, dtype), np.zeros(N, dtype))
    np.testing.assert_array_equal(out[2], np.floor_divide(a, b))
    np.testing.assert_array_equal(out[3], np.mod(a, b))


def test_floordiv_by_constant_in_indices():
    A = te.placeholder((24,), name="A")
    B = te.compute((4, 6), lambda i, j: A[(i * 6 + j) // 2 + (j % 4)], name="B")
    a = rand(24)
    got = run(te.create_prim_func([A, B]), a, np.zeros((4, 6), "float32"))[1]
    want = np.array([[a[(i * 6 + j) // 2 + j % 4] for j in range(6)] for i in range(4)])
    np.testing.assert_array_equal(got, want)


def test_float16_computes_in_float():
    A = te.placeholder((N,), "float16", name="A")
    B = te.compute((N,), lambda i: te.exp(A[i]) * A[i] + te.const(1.5, "float16"), name="B")
    a = np.linspace(-2, 2, N).astype("float16")
    got = run(te.create_prim_func([A, B]), a, np.zeros(N, "float16"))[1]
    want = (np.exp(a.astype(np.float32)) * a.astype(np.float32) + 1.5).astype("float16")
    np.testing.assert_allclose(got.astype(np.float32), want.astype(np.float32), rtol=2e-3)


def test_bool_and_select_and_casts():
    A = te.placeholder((N,), name="A")
    M = te.compute((N,), lambda i: A[i] > 0.5, name="M")
    C = te.compute((N,), lambda i: te.if_then_else(M[i], te.cast("int32", A[i] * 10.0), -1),
                   name="C")
    a = rand(N)
    out = run(te.create_prim_func([A, M, C]), a, np.zeros(N, bool), np.zeros(N, "int32"))
    np.testing.assert_array_equal(out[1], a > 0.5)
    np.testing.assert_array_equal(out[2], np.where(a > 0.5, (a * 10).astype(np.int32), -1))


@pytest.mark.parametrize("name", workloads.names())
def test_workload_zoo_unscheduled(name):
    wl = workloads.get(name, "small")
    mod = ms.build(wl.func)
    arrays = wl.make_inputs(seed=0)
    mod(*arrays)
    want = wl.reference(*arrays[: len(arrays) - wl.num_outputs])
    for got, ref in zip(arrays[len(arrays) - wl.num_outputs:], want):
        np.testing.assert_allclose(got, ref, rtol=wl.rtol, atol=wl.atol)


def test_source_is_deterministic_and_names_the_entry():
    f = workloads.get("GMM", "small").func
    src = codegen_c(f, "llvm -mcpu=znver4 -num-cores=2")
    assert src == codegen_c(f, "llvm -mcpu=znver4 -num-cores=2")
    assert "int32_t fn_main(void** args)" in src and "fn_main_time(" in src
    assert 'rtms_entry[] = "fn_main"' in src
