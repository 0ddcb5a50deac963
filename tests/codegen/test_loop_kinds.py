"""Every loop kind and buffer scope, emitted and checked against numpy."""

import numpy as np
import pytest

from raytune_ms import te, tir
from raytune_ms.codegen import codegen_c
from raytune_ms.schedule import Schedule
from raytune_ms.testing import bare_matmul, func, nest, rand, run


def _check_matmul(f, n=32, m=48, k=16):
    a, b = rand((n, k), seed=1), rand((k, m), seed=2)
    c = run(f, a, b, rand((n, m), seed=3))[2]
    np.testing.assert_allclose(c, a @ b, rtol=1e-4, atol=1e-4)
    return codegen_c(f)


def _copy_kernel(n, kind, body_of, dtype="float32", out_shape=None, in_shape=None):
    """B[...] = body_of(A, i) over one loop of `kind`."""
    A = tir.Buffer("A", in_shape or (n,), dtype)
    B = tir.Buffer("B", out_shape or (n,), dtype)
    return func([A, B], nest([("i", n, kind)], lambda i: body_of(A, B, i))), A, B


def test_parallel_outermost_only():
    A = tir.Buffer("A", (8, 16))
    B = tir.Buffer("B", (8, 16))
    body = nest([("i", 8, "parallel"), ("j", 16, "parallel")],
                lambda i, j: tir.BufferStore(B, A[i, j] * 2.0, [i, j]))
    f = func([A, B], body)
    src = codegen_c(f, "llvm -mcpu=x86-64-v3 -num-cores=3")
    assert src.count("#pragma omp parallel for") == 1
    assert "num_threads(3)" in src and "nested in a parallel loop: serial" in src
    a = rand((8, 16))
    np.testing.assert_array_equal(run(f, a, np.zeros_like(a))[1], a * 2)


def test_unrolled_small_copies_and_large_pragma():
    def body(A, B, i):
        return tir.BufferStore(B, A[i] + 1.0, [i])

    small, _, _ = _copy_kernel(6, "unrolled", body)
    src = codegen_c(small)
    assert "/* unrolled" in src and "B[5] = (A[5] + 1.0f);" in src
    big, _, _ = _copy_kernel(300, "unrolled", body)
    assert "#pragma GCC unroll 300" in codegen_c(big)
    for f, n in ((small, 6), (big, 300)):
        a = rand(n)
        np.testing.assert_array_equal(run(f, a, np.zeros_like(a))[1], a + 1)


def test_thread_binding_is_serial_on_cpu():
    f, _, _ = _copy_kernel(16, "thread_binding", lambda A, B, i: tir.BufferStore(B, A[i], [i]))
    assert "serial on a CPU" in codegen_c(f)
    a = rand(16)
    np.testing.assert_array_equal(run(f, a, np.zeros_like(a))[1], a)


# ---------------------------------------------------------------------------- vectorized


def test_vectorized_contiguous_is_vector_code():
    def body(A, B, i):
        return tir.BufferStore(B, tir.max_expr(A[i] * 3.0 - 1.0, tir.const(0.0)), [i])

    f, _, _ = _copy_kernel(64, "vectorized", body)
    src = codegen_c(f, "llvm -mcpu=znver4 -num-cores=2")
    assert "/* vectorized: i, 4 x 16 lanes */" in src and "rtms_vmax_v16f32" in src
    a = rand(64)
    np.testing.assert_allclose(run(f, a, np.zeros_like(a))[1], np.maximum(a * 3 - 1, 0), rtol=1e-6)


def test_vectorized_chunk_loop_cast_and_broadcast():
    A = tir.Buffer("A", (4, 512), "int32")
    S = tir.Buffer("S", (4,), "float32")
    B = tir.Buffer("B", (4, 512), "float32")
    body = nest([("r", 4, "serial"), ("i", 512, "vectorized")], lambda r, i: tir.BufferStore(
        B, tir.cast("float32", A[r, i] + 1) * S[r] + tir.min_expr(S[r], tir.cast("float32", A[r, i])),
        [r, i]))
    f = func([A, S, B], body)
    src = codegen_c(f, "llvm -mcpu=znver4 -num-cores=2")
    assert "32 x 16 lanes" in src and "__builtin_convertvector" in src and "for (int64_t i_c" in src
    a, s = rand((4, 512), "int32"), rand(4)
    got = run(f, a, s, np.zeros((4, 512), "float32"))[2]
    want = (a + 1).astype("float32") * s[:, None] + np.minimum(s[:, None], a.astype("float32"))
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_vectorized_invariant_select_and_condition():
    A = tir.Buffer("A", (4, 32))
    B = tir.Buffer("B", (4, 32))
    body = nest([("r", 4, "serial"), ("i", 32, "vectorized")], lambda r, i: tir.IfThenElse(
        r < 3, tir.BufferStore(B, tir.select(r < 1, A[r, i], A[r, i] * 2.0), [r, i])))
    f = func([A, B], body)
    assert "vectorized: i, 2 x 16 lanes" in codegen_c(f, "llvm -mcpu=znver4 -num-cores=1")
    a = rand((4, 32))
    got = run(f, a, np.zeros_like(a))[1]
    want = np.concatenate([a[:1], a[1:3] * 2, np.zeros((1, 32), "float32")])
    np.testing.assert_array_equal(got, want)


def _fallback_cases():
    def strided(A, B, i):
        return tir.BufferStore(B, A[i * 2], [i])

    def call(A, B, i):  # a math call without a vector form (exp, erf, tanh, sigmoid have one: test_vector_math.py)
        return tir.BufferStore(B, tir.call("sin", A[i]), [i])

    def lane_select(A, B, i):
        return tir.BufferStore(B, tir.select(i < 5, A[i], tir.const(0.0)), [i])

    def value_of_lane(A, B, i):
        return tir.BufferStore(B, A[i] + tir.cast("float32", i), [i])

    def reduction(A, B, i):
        return tir.BufferStore(B, B[0] + A[i], [0])

    return [
        ("stride", strided, 16, dict(in_shape=(32,)), lambda a, b: a[::2]),
        ("call", call, 16, {}, np.sin),
        ("select", lane_select, 16, {}, lambda a, b: np.where(np.arange(16) < 5, a, 0)),
        ("value", value_of_lane, 16, {}, lambda a, b: a + np.arange(16)),
        ("odd extent", lambda A, B, i: tir.BufferStore(B, A[i] + 1.0, [i]), 7, {},
         lambda a, b: a + 1),
        ("reduction", reduction, 16, dict(out_shape=(1,)), lambda a, b: b + a.sum()),
    ]


@pytest.mark.parametrize("case", _fallback_cases(), ids=lambda c: c[0])
def test_vectorized_fallbacks_are_scalar_and_correct(case):
    _, body, n, shapes, ref = case
    f, A, B = _copy_kernel(n, "vectorized", body, **shapes)
    src = codegen_c(f)
    assert "emitted as a scalar loop" in src
    assert ("#pragma omp simd" in src) == (case[0] != "reduction")
    a = rand(A.shape, seed=4)
    b = rand(B.shape, seed=5)
    np.testing.assert_allclose(run(f, a, b)[1], ref(a, b), rtol=1e-5)


def test_vectorized_float16_falls_back():
    f, _, _ = _copy_kernel(16, "vectorized", lambda A, B, i: tir.BufferStore(B, A[i] * 2.0, [i]),
                           dtype="float16")
    assert "dtype float16" in codegen_c(f)
    a = rand(16, "float16")
    np.testing.assert_array_equal(run(f, a, np.zeros_like(a))[1], a * 2)


# ---------------------------------------------------------------------------- blocks and scopes


def test_predicate_from_non_dividing_split():
    f = bare_matmul(30, 45, 16)
    sch = Schedule(f)
    i, j, k = sch.get_loops(sch.get_block("C"))
    sch.split(i, [None, 8])
    sch.split(j, [None, 16])
    src = _check_matmul(sch.mod["main"], 30, 45, 16)
    assert "< 30)" in src or "< 45)" in src


def test_register_tile_local_cache_compacted_to_vectors():
    f = bare_matmul(32, 48, 16)
    sch = Schedule(f)
    b = sch.get_block("C")
    i, j, k = sch.get_loops(b)
    i0, i1 = sch.split(i, [None, 4])
    j0, j1 = sch.split(j, [None, 16])
    sch.reorder(i0, j0, k, i1, j1)
    cw = sch.cache_write(b, 0, "local")
    sch.reverse_compute_at(cw, j0)
    sch.parallel(i0)
    sch.unroll(i1)
    sch.vectorize(j1)
    sch.vectorize(sch.get_loops(cw)[-1])
    src = codegen_c(sch.mod["main"], "llvm -mcpu=znver4 -num-cores=2")
    assert "rtms_v16f32 C_local[4] __attribute__((aligned(64)));" in src
    _check_matmul(sch.mod["main"])


def test_cache_read_shared_and_global_intermediate():
    f = bare_matmul(32, 48, 16)
    sch = Schedule(f)
    b = sch.get_block("C")
    i, j, k = sch.get_loops(b)
    j0, j1 = sch.split(j, [None, 16])
    sch.reorder(j0, i, k, j1)
    bs = sch.cache_read(b, 1, "shared")
    sch.compute_at(bs, j0)
    ag = sch.cache_read(b, 0, "global")  # whole A copied once: an intermediate on the heap
    src = _check_matmul(sch.mod["main"])
    assert "float B_shared[256]" in src  # compacted to the 16 x 16 panel
    assert "rtms_alloc(" in src and "free(A_global);" in src
    del ag


def test_storage_align_strides_and_decomposed_init():
    f = bare_matmul(32, 48, 16)
    sch = Schedule(f)
    b = sch.get_block("C")
    i, j, k = sch.get_loops(b)
    cache = sch.cache_read(b, 0, "local")
    sch.compute_at(cache, i)
    sch.storage_align(cache, 0, 0, 8, 3)
    sch.decompose_reduction(b, k)
    _check_matmul(sch.mod["main"])


def test_guarded_init_with_split_reduction():
    f = bare_matmul(32, 48, 16)
    sch = Schedule(f)
    i, j, k = sch.get_loops(sch.get_block("C"))
    k0, k1 = sch.split(k, [None, 4])
    sch.reorder(k0, i, j, k1)
    _check_matmul(sch.mod["main"])


def test_global_buffer_under_compute_at_on_stack():
    A = te.placeholder((64, 64), name="A")
    B = te.compute((64, 64), lambda i, j: A[i, j] * 2.0, name="B")
    C = te.compute((64, 64), lambda i, j: B[i, j] + 1.0, name="C")
    f = te.create_prim_func([A, C])
    sch = Schedule(f)
    i, _ = sch.get_loops(sch.get_block("C"))
    sch.compute_at(sch.get_block("B"), i)
    sch.parallel(i)
    src = codegen_c(sch.mod["main"])
    assert "float B[64]" in src and "rtms_alloc(" not in src.split("int32_t fn_main")[1].split("fn_main_time")[0]
    a = rand((64, 64))
    np.testing.assert_allclose(run(sch.mod["main"], a, np.zeros_like(a))[1], a * 2 + 1)


def test_vectorized_mixed_widths_and_float64():
    A = tir.Buffer("A", (64,), "int8")
    W = tir.Buffer("W", (64,), "float64")
    B = tir.Buffer("B", (64,), "int32")
    D = tir.Buffer("D", (64,), "float64")
    body = nest([("i", 64, "vectorized")], lambda i: tir.seq(
        tir.BufferStore(B, tir.cast("int32", A[i]) * 3 - tir.max_expr(tir.cast("int32", A[i]), 0), [i]),
        tir.BufferStore(D, W[i] * 0.5 + tir.cast("float64", B[i]), [i])))
    f = func([A, W, B, D], body)
    src = codegen_c(f, "llvm -mcpu=znver4 -num-cores=1")
    assert "/* vectorized: i, 8 x 8 lanes */" in src and "rtms_v8i8" in src
    a, w = rand(64, "int8"), rand(64, "float64")
    out = run(f, a, w, np.zeros(64, "int32"), np.zeros(64, "float64"))
    b = a.astype(np.int32) * 3 - np.maximum(a.astype(np.int32), 0)
    np.testing.assert_array_equal(out[2], b)
    np.testing.assert_allclose(out[3], w * 0.5 + b, rtol=1e-12)


def test_vector_array_read_back_by_scalar_loop():
    f = bare_matmul(32, 48, 16)
    sch = Schedule(f)
    b = sch.get_block("C")
    i, j, k = sch.get_loops(b)
    j0, j1 = sch.split(j, [None, 16])
    sch.reorder(i, j0, k, j1)
    cw = sch.cache_write(b, 0, "local")
    sch.reverse_compute_at(cw, j0)
    sch.vectorize(j1)  # the write-back loop stays scalar: element access into the vector array
    _check_matmul(sch.mod["main"])
    src = codegen_c(sch.mod["main"], "llvm -mcpu=znver4 -num-cores=1")
    assert "rtms_v16f32 C_local[1]" in src and "C_local[0][ax1]" in src
