"""Tensors, placeholders, computes, reducers and intrinsics: what the DSL builds."""

import math

from raytune_ms import te, tir
from raytune_ms.tir.expr import MATH_INTRINSICS


def test_placeholder_attributes():
    A = te.placeholder((2, 3), dtype="int8", name="A")
    assert (A.shape, A.dtype, A.name, A.ndim) == ((2, 3), "int8", "A", 2)
    assert isinstance(A.op, te.PlaceholderOp) and A.op.input_tensors == ()
    assert te.placeholder(5).shape == (5,)
    assert te.placeholder((2,)).name == "placeholder" and te.placeholder((2,)).dtype == "float32"


def test_indexing_builds_loads():
    A = te.placeholder((4, 4), name="A")
    i = te.reduce_axis(4, "i")
    load = A[i, 2]
    assert isinstance(load, tir.BufferLoad) and load.buffer is A.buffer
    assert load.indices[0] is i and load.indices[1].value == 2
    assert isinstance(A(i, 1), tir.BufferLoad)


def test_compute_attributes_and_axes():
    A = te.placeholder((3, 4), name="A")
    B = te.compute((3, 4), lambda x, y: A[x, y] * 2.0, name="B", tag="elemwise")
    assert (B.shape, B.dtype, B.name) == ((3, 4), "float32", "B")
    op = B.op
    assert isinstance(op, te.ComputeOp) and op.tag == "elemwise"
    assert [a.name for a in op.axis] == ["x", "y"] and op.reduce_axis == ()
    assert [(a.kind, a.extent) for a in op.axis] == [("spatial", 3), ("spatial", 4)]
    assert op.input_tensors == (A,)


def test_compute_varargs_names_axes():
    A = te.placeholder((2, 3, 4), name="A")
    B = te.compute(A.shape, lambda *idx: A[idx], name="B")
    assert [a.name for a in B.op.axis] == ["i0", "i1", "i2"]


def test_compute_dtype_follows_body():
    A = te.placeholder((3,), dtype="int32", name="A")
    assert te.compute((3,), lambda i: A[i] + 1).dtype == "int32"
    assert te.compute((3,), lambda i: A[i] < 2).dtype == "bool"
    assert te.compute((3,), lambda i: te.cast("float16", A[i])).dtype == "float16"
    assert te.compute((3,), lambda i: 1.5).dtype == "float32"


def test_reduce_axis_domain():
    k = te.reduce_axis((2, 9), "k")
    assert (k.kind, k.lo, k.extent, k.name) == ("reduce", 2, 7, "k")
    assert k.var is k and te.reduce_axis(5).extent == 5


def test_reducer_builds_reduce_and_lists_reduce_axes():
    A = te.placeholder((3, 4), name="A")
    k = te.reduce_axis(4, "k")
    B = te.compute((3,), lambda i: te.sum(A[i, k], axis=k), name="B")
    assert isinstance(B.op.body, te.Reduce) and B.op.reduce_axis == (k,)
    assert "sum" in repr(B.op.body)


def test_two_value_form_of_reducers():
    A = te.placeholder((3,), name="A")
    assert isinstance(te.max(A[0], 0.0), tir.Max)
    assert isinstance(te.min(1.0, A[0]), tir.Min)
    assert isinstance(te.sum(A[0], A[1]), tir.Add)


def test_comm_reducer_custom():
    product = te.comm_reducer(lambda x, y: x * y, lambda t: tir.const(1, t), name="prod")
    A = te.placeholder((3, 4), name="A")
    k = te.reduce_axis(4, "k")
    P = te.compute((3,), lambda i: product(A[i, k], axis=k), name="P")
    blk = tir.collect(te.create_prim_func([A, P]).body, tir.Block)[1]
    assert blk.init.value.value == 1.0 and isinstance(blk.body.value, tir.Mul)


def test_every_math_intrinsic_is_exposed():
    x = te.placeholder((2,), name="x")
    for op in MATH_INTRINSICS:
        fn = getattr(te, op)
        args = (x[0], x[1]) if op in ("pow", "fmin", "fmax") else (x[0],)
        call = fn(*args)
        assert isinstance(call, tir.Call) and call.op == op and call.dtype == "float32"
    assert te.pow(x[0], 2).args[1].dtype == "float32"


def test_if_then_else_and_all_any():
    A = te.placeholder((4,), name="A")
    i = te.reduce_axis(4, "i")
    sel = te.if_then_else(te.all(i >= 1, i < 3), A[i], 0.0)
    assert isinstance(sel, tir.Select) and isinstance(sel.condition, tir.And)
    assert te.if_then_else(True, 1.0, 2.0).value == 1.0
    assert isinstance(te.any(i < 1, i > 2), tir.Or)
    assert te.all().value == 1 and te.any().value == 0


def test_const_and_cast():
    assert te.const(3).dtype == "int32" and te.const(2.0, "float16").dtype == "float16"
    A = te.placeholder((2,), dtype="int8", name="A")
    assert te.cast("float32", A[0]).dtype == "float32"


def test_identity_values():
    A = te.placeholder((2,), dtype="float16", name="A")
    assert te.max.identity("float16").value == -math.inf
    assert te.min.identity("int8").value == 127
    assert te.sum.identity(A.dtype).dtype == "float16"
