"""create_prim_func: the shape of the PrimFunc a te graph lowers to."""

import math

import pytest

from raytune_ms import te, tir


def matmul(M=4, N=5, K=6):
    A = te.placeholder((M, K), name="A")
    B = te.placeholder((K, N), name="B")
    k = te.reduce_axis(K, "k")
    C = te.compute((M, N), lambda i, j: te.sum(A[i, k] * B[k, j], axis=k), name="C")
    return A, B, C


def blocks(func):
    return [b for b in tir.collect(func.body, tir.Block) if b.name != "root"]


def test_params_in_order_and_attrs():
    A, B, C = matmul()
    f = te.create_prim_func([A, B, C])
    assert [p.name for p in f.params] == ["A", "B", "C"]
    assert [p.shape for p in f.params] == [(4, 6), (6, 5), (4, 5)]
    assert f.name == "main" and dict(f.attrs)["global_symbol"] == "main"
    assert te.create_prim_func([A, B, C], name="mm").name == "mm"


def test_root_block_and_loop_nest():
    A, B, C = matmul()
    f = te.create_prim_func([A, B, C])
    assert isinstance(f.body, tir.BlockRealize) and f.body.block.name == "root"
    assert f.body.block.iter_vars == () and f.body.block.alloc_buffers == ()
    loops = tir.collect(f.body, tir.For)
    assert [lp.loop_var.name for lp in loops] == ["i", "j", "k"]
    assert [lp.extent.value for lp in loops] == [4, 5, 6]
    assert all(lp.kind == "serial" and lp.min.value == 0 for lp in loops)
    realize = tir.collect(f.body, tir.BlockRealize)[1]
    assert [v is lp.loop_var for v, lp in zip(realize.iter_values, loops)] == [True] * 3


def test_reduction_block():
    A, B, C = matmul()
    f = te.create_prim_func([A, B, C])
    (blk,) = blocks(f)
    assert blk.name == "C"
    assert [(iv.var.name, iv.kind, iv.dom.min.value, iv.dom.extent.value) for iv in blk.iter_vars] == [
        ("v_i", "spatial", 0, 4), ("v_j", "spatial", 0, 5), ("v_k", "reduce", 0, 6)]
    vi, vj, vk = (iv.var for iv in blk.iter_vars)
    a, b, c = f.params
    # reads: one point region per input; the reduction's own output is not listed
    assert [r.buffer for r in blk.reads] == [a, b]
    assert [(r.min, r.extent.value) for r in blk.reads[0].region] == [(vi, 1), (vk, 1)]
    assert [(r.min, r.extent.value) for r in blk.reads[1].region] == [(vk, 1), (vj, 1)]
    (w,) = blk.writes
    assert w.buffer is c and [(r.min, r.extent.value) for r in w.region] == [(vi, 1), (vj, 1)]
    assert isinstance(blk.init, tir.BufferStore) and blk.init.buffer is c
    assert blk.init.value.value == 0.0 and blk.init.indices == (vi, vj)
    store = blk.body
    assert isinstance(store, tir.BufferStore) and store.indices == (vi, vj)
    assert isinstance(store.value, tir.Add)
    assert isinstance(store.value.a, tir.BufferLoad) and store.value.a.buffer is c


@pytest.mark.parametrize(
    "reducer, identity", [(te.sum, 0.0), (te.max, -math.inf), (te.min, math.inf)]
)
def test_reducer_identity(reducer, identity):
    A = te.placeholder((3, 7), name="A")
    k = te.reduce_axis(7, "k")
    R = te.compute((3,), lambda i: reducer(A[i, k], axis=k), name="R")
    (blk,) = blocks(te.create_prim_func([A, R]))
    assert blk.init.value.value == identity
    assert blk.init.value.dtype == "float32"


def test_integer_reducer_identity():
    A = te.placeholder((3, 7), dtype="int32", name="A")
    k = te.reduce_axis(7, "k")
    R = te.compute((3,), lambda i: te.max(A[i, k], axis=k), name="R")
    (blk,) = blocks(te.create_prim_func([A, R]))
    assert blk.init.value.value == -(2**31) and blk.init.value.dtype == "int32"


def test_intermediates_allocated_in_root_in_dependency_order():
    A = te.placeholder((8,), name="A")
    B = te.compute((8,), lambda i: A[i] + 1.0, name="B")
    C = te.compute((8,), lambda i: B[i] * 2.0, name="C")
    D = te.compute((8,), lambda i: C[i] - B[i], name="D")
    f = te.create_prim_func([A, D])
    assert [b.name for b in f.body.block.alloc_buffers] == ["B", "C"]
    assert [b.name for b in blocks(f)] == ["B", "C", "D"]
    # an intermediate listed as a parameter is an output, not an allocation
    g = te.create_prim_func([A, C, D])
    assert [b.name for b in g.body.block.alloc_buffers] == ["B"]
    assert [p.name for p in g.params] == ["A", "C", "D"]


def test_multiple_reduce_axes_and_loop_order():
    A = te.placeholder((2, 3, 4), name="A")
    r1 = te.reduce_axis(3, "r1")
    r2 = te.reduce_axis(4, "r2")
    S = te.compute((2,), lambda b: te.sum(A[b, r1, r2], axis=[r1, r2]), name="S")
    (blk,) = blocks(te.create_prim_func([A, S]))
    assert [iv.kind for iv in blk.iter_vars] == ["spatial", "reduce", "reduce"]
    assert [iv.var.name for iv in blk.iter_vars] == ["v_b", "v_r1", "v_r2"]


def test_reduce_axis_with_lower_bound_starts_loops_at_zero():
    A = te.placeholder((10,), name="A")
    k = te.reduce_axis((3, 7), "k")
    S = te.compute((1,), lambda i: te.sum(A[k], axis=k), name="S")
    f = te.create_prim_func([A, S])
    (blk,) = blocks(f)
    iv = blk.iter_vars[1]
    assert (iv.dom.min.value, iv.dom.extent.value) == (0, 4)
    assert [lp.extent.value for lp in tir.collect(f.body, tir.For)] == [1, 4]
    load = blk.body.value.b
    assert isinstance(load.indices[0], tir.Add) and load.indices[0].a is iv.var
    assert load.indices[0].b.value == 3


def test_where_guards_the_update():
    A = te.placeholder((6,), name="A")
    k = te.reduce_axis(6, "k")
    S = te.compute((1,), lambda i: te.sum(A[k], axis=k, where=k % 2 < 1), name="S")
    (blk,) = blocks(te.create_prim_func([A, S]))
    assert isinstance(blk.body.value, tir.Select)
    assert isinstance(blk.body.value.false_value, tir.BufferLoad)


def test_no_te_objects_left_in_the_ir():
    A, B, C = matmul()
    f = te.create_prim_func([A, B, C])
    assert all(type(v) is tir.Var for v in tir.collect(f.body, tir.Var))
    assert all(type(b) is tir.Buffer for b in tir.collect(f, tir.Buffer))
    assert not tir.collect(f.body, te.Reduce)


def test_block_names_unique_and_deterministic():
    def build():
        A = te.placeholder((4,), name="x")
        B = te.compute((4,), lambda i: A[i] + 1.0, name="x")
        C = te.compute((4,), lambda i: B[i] + 1.0, name="x")
        D = te.compute((4,), lambda i: C[i] + 1.0, name="root")
        return te.create_prim_func([A, D])

    f = build()
    assert [p.name for p in f.params] == ["x", "root_1"]
    assert [b.name for b in blocks(f)] == ["x_1", "x_2", "root_1"]
    assert [b.name for b in f.body.block.alloc_buffers] == ["x_1", "x_2"]
    assert tir.to_json(build()) == tir.to_json(f)


def test_non_identifier_names_kept():
    A = te.placeholder((4,), name="in put-0")
    B = te.compute((4,), lambda i: A[i] * 2.0, name="out.tensor")
    f = te.create_prim_func([A, B])
    assert [p.name for p in f.params] == ["in put-0", "out.tensor"]
    assert blocks(f)[0].name == "out.tensor"


def test_duplicate_axis_names_made_unique_within_a_nest():
    A = te.placeholder((3, 3), name="A")
    k = te.reduce_axis(3, "i")
    S = te.compute((3,), lambda i: te.sum(A[i, k], axis=k), name="S")
    f = te.create_prim_func([A, S])
    assert [lp.loop_var.name for lp in tir.collect(f.body, tir.For)] == ["i", "i_1"]
    assert [iv.var.name for iv in blocks(f)[0].iter_vars] == ["v_i", "v_i_1"]


def test_compute_attrs_become_block_annotations():
    A = te.placeholder((4,), name="A")
    B = te.compute((4,), lambda i: A[i], name="B", attrs={"layout_free": True})
    assert blocks(te.create_prim_func([A, B]))[0].annotations == (("layout_free", True),)


def test_mixed_dtypes_are_cast_explicitly():
    A = te.placeholder((4,), dtype="float32", name="A")
    B = te.placeholder((4,), dtype="int8", name="B")
    C = te.compute((4,), lambda i: A[i] + B[i], name="C")
    assert C.dtype == "float32"
    (blk,) = blocks(te.create_prim_func([A, B, C]))
    add = blk.body.value
    assert isinstance(add.b, tir.Cast) and add.b.dtype == "float32"
    assert add.a.dtype == add.b.dtype == "float32"


def test_zero_dim_output():
    A = te.placeholder((5,), name="A")
    k = te.reduce_axis(5, "k")
    S = te.compute((), lambda: te.sum(A[k], axis=k), name="S")
    f = te.create_prim_func([A, S])
    (blk,) = blocks(f)
    assert f.params[1].shape == () and blk.body.indices == ()
    assert [iv.kind for iv in blk.iter_vars] == ["reduce"]


def test_same_graph_lowers_identically_each_time():
    A, B, C = matmul()
    assert tir.to_json(te.create_prim_func([A, B, C])) == tir.to_json(te.create_prim_func([A, B, C]))
