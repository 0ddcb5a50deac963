"""te programs built and run: reducer identities, shifted reduce axes, `where`, casts,
intrinsics and zero-dim outputs compute what numpy says."""

import numpy as np
import pytest

from raytune_ms import build, te, tir


def run(tensors, *inputs):
    func = te.create_prim_func(tensors)
    outs = [np.zeros(p.shape, p.dtype) for p in func.params[len(inputs):]]
    build(func, target="llvm")(*inputs, *outs)
    return outs


@pytest.fixture
def x():
    return np.random.default_rng(0).uniform(-1, 1, (5, 7)).astype("float32")


@pytest.mark.parametrize("reducer, np_fn", [(te.sum, np.sum), (te.max, np.max), (te.min, np.min)])
def test_reducers(x, reducer, np_fn):
    A = te.placeholder(x.shape, name="A")
    k = te.reduce_axis(7, "k")
    R = te.compute((5,), lambda i: reducer(A[i, k], axis=k), name="R")
    (out,) = run([A, R], x)
    np.testing.assert_allclose(out, np_fn(x, axis=1), rtol=1e-6)


def test_max_of_negative_values_uses_minus_infinity(x):
    A = te.placeholder(x.shape, name="A")
    k = te.reduce_axis(7, "k")
    R = te.compute((5,), lambda i: te.max(A[i, k], axis=k), name="R")
    (out,) = run([A, R], -np.abs(x) - 1)
    np.testing.assert_allclose(out, np.max(-np.abs(x) - 1, axis=1))


def test_integer_min_reduction():
    a = np.random.default_rng(1).integers(-100, 100, (4, 6)).astype("int32")
    A = te.placeholder(a.shape, dtype="int32", name="A")
    k = te.reduce_axis(6, "k")
    R = te.compute((4,), lambda i: te.min(A[i, k], axis=k), name="R")
    (out,) = run([A, R], a)
    assert (out == a.min(axis=1)).all()


def test_shifted_reduce_axis_and_where(x):
    A = te.placeholder(x.shape, name="A")
    k = te.reduce_axis((2, 6), "k")
    S = te.compute((5,), lambda i: te.sum(A[i, k], axis=k), name="S")
    j = te.reduce_axis(7, "j")
    E = te.compute((5,), lambda i: te.sum(A[i, j], axis=j, where=j % 2 < 1), name="E")
    s, e = run([A, S, E], x)
    np.testing.assert_allclose(s, x[:, 2:6].sum(axis=1), rtol=1e-5)
    np.testing.assert_allclose(e, x[:, ::2].sum(axis=1), rtol=1e-5)


def test_custom_reducer_product(x):
    prod = te.comm_reducer(lambda a, b: a * b, lambda t: tir.const(1, t), name="prod")
    A = te.placeholder(x.shape, name="A")
    k = te.reduce_axis(7, "k")
    P = te.compute((5,), lambda i: prod(A[i, k], axis=k), name="P")
    (out,) = run([A, P], x)
    np.testing.assert_allclose(out, np.prod(x, axis=1), rtol=1e-5)


def test_mixed_dtype_promotion_and_casts():
    a = np.arange(6, dtype="float32").reshape(2, 3) / 4
    b = np.arange(6, dtype="int8").reshape(2, 3) - 3
    A = te.placeholder(a.shape, name="A")
    B = te.placeholder(b.shape, dtype="int8", name="B")
    C = te.compute(a.shape, lambda i, j: A[i, j] + B[i, j], name="C")
    D = te.compute(a.shape, lambda i, j: te.cast("int32", A[i, j] * 4.0) // 2, name="D")
    c, d = run([A, B, C, D], a, b)
    np.testing.assert_allclose(c, a + b)
    assert d.dtype == np.int32 and (d == (a * 4).astype("int32") // 2).all()


def test_intrinsics(x):
    A = te.placeholder(x.shape, name="A")
    ops = {
        "exp": (te.exp, np.exp), "tanh": (te.tanh, np.tanh), "fabs": (te.fabs, np.abs),
        "sigmoid": (te.sigmoid, lambda v: 1 / (1 + np.exp(-v))),
        "sqrt_abs": (lambda v: te.sqrt(te.fabs(v)), lambda v: np.sqrt(np.abs(v))),
        "rsqrt": (lambda v: te.rsqrt(te.fabs(v) + 1.0), lambda v: 1 / np.sqrt(np.abs(v) + 1)),
        "log": (lambda v: te.log(te.fabs(v) + 1.0), lambda v: np.log(np.abs(v) + 1)),
        "pow": (lambda v: te.pow(te.fabs(v), 1.5), lambda v: np.abs(v) ** 1.5),
        "erf": (te.erf, lambda v: np.vectorize(__import__("math").erf)(v)),
    }
    tensors = [te.compute(x.shape, lambda i, j, f=f: f(A[i, j]), name=n) for n, (f, _) in ops.items()]
    outs = run([A, *tensors], x)
    for (name, (_, ref)), out in zip(ops.items(), outs):
        np.testing.assert_allclose(out, ref(x.astype(np.float64)), rtol=1e-5, atol=1e-6, err_msg=name)


def test_zero_dim_output(x):
    A = te.placeholder(x.shape, name="A")
    i, k = te.reduce_axis(5, "i"), te.reduce_axis(7, "k")
    S = te.compute((), lambda: te.sum(A[i, k], axis=[i, k]), name="S")
    (out,) = run([A, S], x)
    np.testing.assert_allclose(out, x.sum(), rtol=1e-5)


def test_padding_reads_nothing_out_of_range():
    # the guarded read of a 1-element buffer at offsets -3..+3 must never fault or leak
    a = np.array([5.0], "float32")
    A = te.placeholder((1,), name="A")
    P = te.compute((7,), lambda i: te.if_then_else(te.all(i >= 3, i < 4), A[i - 3], 0.0), name="P")
    (out,) = run([A, P], a)
    assert (out == np.array([0, 0, 0, 5, 0, 0, 0], "float32")).all()


def test_names_that_are_not_c_identifiers_build():
    A = te.placeholder((4,), name="in put-0")
    B = te.compute((4,), lambda i: A[i] * 2.0, name="out.tensor")
    C = te.compute((4,), lambda i: B[i] + 1.0, name="int")
    func = te.create_prim_func([A, C], name="my func")
    out = np.zeros(4, "float32")
    build(func, target="llvm")(np.arange(4, dtype="float32"), out)
    assert (out == np.arange(4) * 2 + 1).all()
