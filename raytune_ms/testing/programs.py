"""Small te programs the tests schedule and measure: matmuls with and without an epilogue,
element-wise programs and chains, a stencil and row reductions."""

from __future__ import annotations

from .. import te


def matmul(n=16, m=12, k=8, epilogue="add"):
    """C = A @ B, then an elementwise "D" stage: "add" (C + 1), "relu" (max(C, 0)) or None."""
    A = te.placeholder((n, k), name="A")
    B = te.placeholder((k, m), name="B")
    r = te.reduce_axis((0, k), name="k")
    C = te.compute((n, m), lambda i, j: te.sum(A[i, r] * B[r, j], axis=r), name="C")
    if epilogue is None:
        return te.create_prim_func([A, B, C])
    stage = {"add": lambda i, j: C[i, j] + 1.0, "relu": lambda i, j: te.max(C[i, j], 0.0)}
    D = te.compute((n, m), stage[epilogue], name="D")
    return te.create_prim_func([A, B, D])


def bare_matmul(n=16, m=12, k=8, relu=False):
    """The matmul alone, or with a ReLU epilogue (the block-primitive tests' default)."""
    return matmul(n, m, k, epilogue="relu" if relu else None)


def batch_add(n):
    """C = A + B over (1, n, n): the parameters of a (1, n, n) batch matmul, far less work."""
    a = te.placeholder((1, n, n), name="A")
    b = te.placeholder((1, n, n), name="B")
    c = te.compute((1, n, n), lambda z, i, j: a[z, i, j] + b[z, i, j], name="C")
    return te.create_prim_func([a, b, c])


def elementwise_chain(n=16, m=8, stages=3):
    """B = A * 2; C = B + 1; D = C * C (the first `stages` of these injective stages)."""
    A = te.placeholder((n, m), name="A")
    steps = [("B", lambda x: x * 2.0), ("C", lambda x: x + 1.0), ("D", lambda x: x * x)]
    t = A
    for name, fn in steps[:stages]:
        t = _elementwise(t, fn, name)
    return te.create_prim_func([A, t])


def _elementwise(t, fn, name):
    return te.compute(t.shape, lambda i, j: fn(t[i, j]), name=name)


def chain(n=24):
    return elementwise_chain(n, n, stages=2)


def stencil(n=20):
    """B = A + 1 (producer); C[i] = B[i] + B[i + 1] + B[i + 2] (a sliding window)."""
    A = te.placeholder((n + 2,), name="A")
    B = te.compute((n + 2,), lambda i: A[i] + 1.0, name="B")
    C = te.compute((n,), lambda i: B[i] + B[i + 1] + B[i + 2], name="C")
    return te.create_prim_func([A, C])


def row_sum(n=8, m=32, op="sum"):
    A = te.placeholder((n, m), name="A")
    r = te.reduce_axis((0, m), name="k")
    reducer = {"sum": te.sum, "max": te.max, "min": te.min}[op]
    B = te.compute((n,), lambda i: reducer(A[i, r], axis=r), name="B")
    return te.create_prim_func([A, B])
