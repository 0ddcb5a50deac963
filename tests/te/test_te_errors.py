"""Every misuse of the DSL raises a clear error naming the tensor, axis or intrinsic."""

import pytest

from raytune_ms import te, tir


@pytest.fixture
def A():
    return te.placeholder((4, 5), name="A")


def test_wrong_rank_indexing_names_tensor(A):
    i = te.reduce_axis(4, "i")
    with pytest.raises(ValueError, match=r"tensor 'A' has 2 dimension.*indexed with 1"):
        A[i]
    with pytest.raises(ValueError, match="tensor 'A'"):
        te.compute((4,), lambda i: A[i, 0, 1])


def test_index_type_errors(A):
    with pytest.raises(TypeError, match=r"tensor 'A', dimension 0: index must be an int"):
        A[0.5, 1]
    with pytest.raises(TypeError, match="tensor 'A'"):
        A[0:2, 1]
    with pytest.raises(TypeError, match=r"tensor 'A', dimension 1: index has dtype float32"):
        te.compute((4,), lambda i: A[i, A[i, 0]])
    with pytest.raises(TypeError, match="tensor 'A'"):
        A[True, 1]


def test_constant_index_out_of_range(A):
    with pytest.raises(ValueError, match=r"tensor 'A', dimension 1: index 5 out of range \[0, 5\)"):
        A[0, 5]
    with pytest.raises(ValueError, match="index -1 out of range"):
        A[-1, 0]


def test_tensor_not_iterable(A):
    with pytest.raises(TypeError, match="tensor 'A' is not iterable"):
        list(A)


def test_unknown_dtype_names_tensor():
    with pytest.raises(tir.DTypeError, match=r"placeholder 'X': unknown dtype 'float33'"):
        te.placeholder((2,), dtype="float33", name="X")
    with pytest.raises(TypeError, match="unknown dtype"):
        te.cast("int3", te.const(1))


@pytest.mark.parametrize("shape", [(0,), (2, -1), (2.0,), "ab", (True,)])
def test_bad_shapes(shape):
    with pytest.raises((ValueError, TypeError), match="placeholder 'P'"):
        te.placeholder(shape, name="P")
    with pytest.raises((ValueError, TypeError), match="compute 'C'"):
        te.compute(shape, lambda *i: 0.0, name="C")


def test_bad_names():
    with pytest.raises(ValueError, match="name must be a non-empty string"):
        te.placeholder((2,), name="")
    with pytest.raises(ValueError, match="name must be a non-empty string"):
        te.compute((2,), lambda i: 0.0, name=None)


def test_wrong_arity_names_compute(A):
    with pytest.raises(ValueError, match=r"compute 'B': fcompute takes 1 argument\(s\) but the shape has 2"):
        te.compute((4, 5), lambda i: A[i, 0], name="B")
    with pytest.raises(ValueError, match=r"compute 'B': fcompute takes 3"):
        te.compute((4, 5), lambda i, j, k: A[i, j], name="B")


def test_default_arguments_allowed_beyond_rank(A):
    B = te.compute((4, 5), lambda i, j, scale=2.0: A[i, j] * scale, name="B")
    assert [a.name for a in B.op.axis] == ["i", "j"]


def test_reduce_axis_outside_reducer(A):
    k = te.reduce_axis(5, "k")
    with pytest.raises(ValueError, match=r"compute 'B': reduce axis 'k' is used outside a reducer"):
        te.compute((4,), lambda i: A[i, k], name="B")


def test_reduce_axis_not_listed_in_reducer(A):
    k = te.reduce_axis(4, "k")
    j = te.reduce_axis(5, "j")
    with pytest.raises(ValueError, match=r"compute 'B': reduce axis 'j' is not in the reducer's axis list"):
        te.compute((1,), lambda i: te.sum(A[k, j], axis=k), name="B")


def test_reduce_axis_unused_in_reduction(A):
    k = te.reduce_axis(5, "k")
    with pytest.raises(ValueError, match=r"te.sum: reduce axis 'k' is not used in the reduced expression"):
        te.compute((4,), lambda i: te.sum(A[i, 0], axis=k), name="B")


def test_reducer_must_be_whole_body(A):
    k = te.reduce_axis(5, "k")
    with pytest.raises(ValueError, match=r"compute 'B': te.sum must be the whole body"):
        te.compute((4,), lambda i: te.sum(A[i, k], axis=k) * 2.0, name="B")
    with pytest.raises(ValueError, match="te.max must be the whole body"):
        te.compute((4,), lambda i: te.sum(te.max(A[i, k], axis=k) + A[i, 0], axis=k), name="B")


def test_reduction_of_a_reduction(A):
    k = te.reduce_axis(5, "k")
    with pytest.raises(ValueError, match="reduction of a reduction"):
        te.sum(te.sum(A[0, k], axis=k), axis=k)


def test_reducer_axis_errors(A):
    k = te.reduce_axis(5, "k")
    B = te.compute((4,), lambda i: A[i, 0], name="B")
    with pytest.raises(ValueError, match=r"te.sum: spatial axis 'i' is not a reduce_axis"):
        te.sum(A[0, k], axis=B.op.axis[0])
    with pytest.raises(ValueError, match="te.max: .* is not a reduce_axis"):
        te.max(A[0, k], axis=[k, 3])
    with pytest.raises(ValueError, match="empty list of reduction axes"):
        te.sum(A[0, 0], axis=[])
    with pytest.raises(ValueError, match="listed twice"):
        te.sum(A[0, k], axis=[k, k])
    with pytest.raises(TypeError, match="te.sum: give the reduction axes"):
        te.sum(A[0, k])
    with pytest.raises(TypeError, match="`where` only applies"):
        te.sum(A[0, 0], A[0, 1], where=True)
    with pytest.raises(TypeError, match="`where` must be a boolean"):
        te.sum(A[0, k], axis=k, where=k + 1)


def test_bad_reduce_axis_domain():
    with pytest.raises(ValueError, match=r"reduce_axis 'k': empty domain \[3, 3\)"):
        te.reduce_axis((3, 3), "k")
    with pytest.raises(ValueError, match=r"reduce_axis 'k': domain must be \(lo, hi\)"):
        te.reduce_axis((0, 1, 2), "k")
    with pytest.raises(TypeError, match=r"reduce_axis 'k': extent must be an int"):
        te.reduce_axis(2.5, "k")
    with pytest.raises(ValueError, match="empty domain"):
        te.reduce_axis(0, "k")


def test_axis_of_another_compute(A):
    B = te.compute((4,), lambda i: A[i, 0], name="B")
    leaked = B.op.axis[0]
    with pytest.raises(ValueError, match=r"compute 'C': uses axis 'i' of another compute"):
        te.compute((4,), lambda j: A[leaked, j], name="C")


def test_free_variable(A):
    n = tir.Var("n")
    with pytest.raises(ValueError, match=r"compute 'C': uses variable 'n', which is not one of its axes"):
        te.compute((4,), lambda i: A[i, n], name="C")


def test_raw_buffer_read(A):
    buf = tir.Buffer("raw", (4,))
    with pytest.raises(ValueError, match=r"compute 'C': reads buffer 'raw', which is not a te tensor"):
        te.compute((4,), lambda i: buf[i], name="C")


def test_body_is_tensor_or_tuple(A):
    with pytest.raises(TypeError, match=r"compute 'C': fcompute returned tensor 'A'"):
        te.compute((4,), lambda i: A, name="C")
    with pytest.raises(TypeError, match=r"compute 'C': fcompute returned 2 values"):
        te.compute((4,), lambda i: (A[i, 0], A[i, 1]), name="C")
    with pytest.raises(TypeError, match=r"compute 'C': cannot convert"):
        te.compute((4,), lambda i: "x", name="C")


def test_bad_attrs(A):
    with pytest.raises(TypeError, match=r"compute 'C': attrs must map str"):
        te.compute((4,), lambda i: A[i, 0], name="C", attrs={"t": A})


def test_intrinsic_errors(A):
    I = te.placeholder((2,), dtype="int32", name="I")
    with pytest.raises(TypeError, match=r"te.exp expects a float operand, got int32"):
        te.exp(I[0])
    with pytest.raises(TypeError, match=r"te.sqrt takes 1 argument"):
        te.sqrt(A[0, 0], A[0, 1])
    H = te.placeholder((2,), dtype="float16", name="H")
    with pytest.raises(TypeError, match=r"te.pow: operands have different dtypes float16 and float32"):
        te.pow(H[0], A[0, 0])
    with pytest.raises(TypeError, match=r"te.if_then_else: condition must be boolean"):
        te.if_then_else(I[0], 1.0, 0.0)


def test_create_prim_func_errors(A):
    B = te.compute((4,), lambda i: A[i, 0] + 1.0, name="B")
    with pytest.raises(ValueError, match=r"placeholder 'A' \(read by B\) is not among the function's tensors"):
        te.create_prim_func([B])
    with pytest.raises(ValueError, match="tensor 'B' is listed twice"):
        te.create_prim_func([A, B, B])
    with pytest.raises(TypeError, match="expected te tensors"):
        te.create_prim_func([A, "B"])
    with pytest.raises(ValueError, match="no compute among the tensors"):
        te.create_prim_func([A])
