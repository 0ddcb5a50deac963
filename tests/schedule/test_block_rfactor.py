"""rfactor: partial-result buffer and write-back block for sum/max/min, any factor axis, and
errors."""

import pytest

from raytune_ms import te, tir
from raytune_ms.schedule import ScheduleError
from raytune_ms.schedule.primitives.block_rfactor import rfactor
from raytune_ms.schedule.primitives.loop_transform import split
from raytune_ms.schedule.tree import block_path
from raytune_ms.testing import assert_same_result, block_names, loops_of, row_sum
from raytune_ms.testing import bare_matmul as matmul


def buffers(func):
    return {b.name: b for blk in tir.collect(func.body, tir.Block) for b in blk.alloc_buffers}


@pytest.mark.parametrize("op", ["sum", "max", "min"])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_rfactor_inner_and_outer_loops(op, axis):
    f = row_sum(6, 16, op)
    f2, (k0, k1) = split(f, loops_of(f, "B")[1], [4, 4])
    for loop in (k0, k1):
        g, name = rfactor(f2, loop, axis)
        assert name == "B_rf"
        assert block_names(g) == ["B_rf", "B"]
        shape = buffers(g)["B_rf"].shape
        assert shape == ((4, 6) if axis == 0 else (6, 4))
        kinds = [iv.kind for iv in block_path(g, "B_rf")[-1].block.iter_vars]
        # the factored and the reduction iterators follow their loops' order
        assert kinds == (["spatial", "spatial", "reduce"] if loop is k0 else ["spatial", "reduce", "spatial"])
        wb = block_path(g, "B")[-1].block
        assert [iv.kind for iv in wb.iter_vars] == ["spatial", "reduce"]
        assert_same_result(f, g)


def test_rfactor_matmul_keeps_loops_for_rf_block():
    f = matmul(8, 6, 8)
    i, j, k = loops_of(f, "C")
    f2, (k0, k1) = split(f, k, [2, 4])
    g, name = rfactor(f2, k1, 2)
    assert loops_of(g, name) == [i, j, k0, k1]
    assert [lp.name for lp in loops_of(g, "C")] == ["i", "j", "k_1"]
    assert buffers(g)["C_rf"].shape == (8, 6, 4)
    assert_same_result(f, g)


def test_rfactor_unsplit_loop_and_nonzero_init():
    A = te.placeholder((5, 7), name="A")
    k = te.reduce_axis((0, 7), name="k")
    prod = te.comm_reducer(lambda x, y: x * y, lambda t: tir.const(1, t), "prod")
    P = te.compute((5,), lambda i: prod(A[i, k] * 0.5 + 1.0, axis=k), name="P")
    f = te.create_prim_func([A, P])
    g, _ = rfactor(f, loops_of(f, "P")[1], 0)
    assert_same_result(f, g)
    W = te.compute((5,), lambda i: te.sum(A[i, k], axis=k, where=k % 2 < 1), name="W")
    f = te.create_prim_func([A, W])
    g, _ = rfactor(f, loops_of(f, "W")[1], 1)
    assert_same_result(f, g)


def test_rfactor_errors():
    f = matmul(4, 4, 4, relu=True)
    i, j, k = loops_of(f, "C")
    with pytest.raises(ScheduleError, match=r"loop 'i' is not a reduction loop of block 'C'"):
        rfactor(f, i, 0)
    with pytest.raises(ScheduleError, match=r"factor_axis 5 out of range \[-3, 2\]"):
        rfactor(f, k, 5)
    with pytest.raises(ScheduleError, match=r"block 'D' is not a recognised reduction"):
        rfactor(f, loops_of(f, "D")[1], 0)
    A = te.placeholder((4, 4), name="A")
    r = te.reduce_axis((0, 4), name="r")
    S = te.compute((4,), lambda i: te.sum(A[i, r], axis=r), name="S")
    T = te.compute((4,), lambda i: S[i] + 1.0, name="T")
    from raytune_ms.schedule.primitives.block_compute_at import reverse_compute_at

    g = te.create_prim_func([A, T])
    g = reverse_compute_at(g, "T", loops_of(g, "S")[0])
    with pytest.raises(ScheduleError, match=r"outermost loop 'i' of block 'S' holds other blocks"):
        rfactor(g, loops_of(g, "S")[1], 0)
    h = te.create_prim_func([A, S])
    h, (_, r1) = split(h, loops_of(h, "S")[1], [3, 2])
    with pytest.raises(ScheduleError, match=r"predicate on its reduction loops"):
        rfactor(h, r1, 0)
