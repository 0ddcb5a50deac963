"""decompose_reduction: init block placement, loops it keeps/copies/drops, errors."""

import pytest

from raytune_ms import tir
from raytune_ms.schedule import ScheduleError
from raytune_ms.schedule.primitives.block_decompose_reduction import decompose_reduction
from raytune_ms.schedule.primitives.loop_transform import reorder, split
from raytune_ms.schedule.tree import block_path, loops_above
from raytune_ms.testing import assert_same_result, block_names, loops_of, row_sum
from raytune_ms.testing import bare_matmul as matmul


def tiled(f):
    i, j, k = loops_of(f, "C")
    f, (i0, i1) = split(f, i, [2, 4])
    f, (j0, j1) = split(f, j, [2, 3])
    f, (k0, k1) = split(f, k, [2, 2])
    return reorder(f, [i0, j0, k0, i1, k1, j1]), (i0, j0, k0, i1, k1, j1)


def test_init_before_reduction_loop():
    f0 = matmul(8, 6, 4)
    f, (i0, j0, k0, i1, k1, j1) = tiled(f0)
    g, name = decompose_reduction(f, "C", k0)
    assert name == "C_init"
    assert block_names(g) == ["C_init", "C"]
    init_loops = loops_above(block_path(g, name))
    assert [lp.loop_var for lp in init_loops[:2]] == [i0, j0]  # shared outer loops
    assert [lp.extent.value for lp in init_loops] == [2, 2, 4, 3]  # fresh copies of i1, j1
    assert block_path(g, "C")[-1].block.init is None
    assert [iv.kind for iv in block_path(g, name)[-1].block.iter_vars] == ["spatial", "spatial"]
    assert_same_result(f0, g)


def test_init_at_outermost_loop_and_unsplit():
    f0 = row_sum(4, 8)
    g, _ = decompose_reduction(f0, "B", loops_of(f0, "B")[0])
    assert isinstance(g.body.block.body, tir.SeqStmt)  # init nest, then the update nest
    assert_same_result(f0, g)
    g, _ = decompose_reduction(f0, "B", loops_of(f0, "B")[1])
    assert_same_result(f0, g)


def test_non_divisible_split_keeps_spatial_predicate():
    f0 = matmul(7, 5, 3)
    i, j, k = loops_of(f0, "C")
    f, (i0, i1) = split(f0, i, [2, 4])
    g, name = decompose_reduction(f, "C", i0)
    pred = block_path(g, name)[-1].predicate
    assert not (isinstance(pred, tir.IntImm) and pred.value)
    assert_same_result(f0, g)


def test_errors():
    f0 = matmul(8, 6, 4)
    f, (i0, j0, k0, i1, k1, j1) = tiled(f0)
    with pytest.raises(ScheduleError, match=r"reduction loop 'k_0' of block 'C' is outside loop 'i_1'"):
        decompose_reduction(f, "C", i1)
    g, _ = decompose_reduction(f, "C", k0)
    with pytest.raises(ScheduleError, match=r"block 'C' has no init"):
        decompose_reduction(g, "C", k0)
    with pytest.raises(ScheduleError, match=r"block 'C_init' has no init"):
        decompose_reduction(g, "C_init", i0)
    h = matmul(4, 4, 4, relu=True)
    with pytest.raises(ScheduleError, match=r"loop 'i' is not an ancestor of block 'C'"):
        decompose_reduction(h, "C", loops_of(h, "D")[0])
    with pytest.raises(ScheduleError, match=r"loop 'i_0' no longer exists"):
        decompose_reduction(h, "C", i0)


def test_error_overlapping_recomputation():
    """A reduction producer computed per window of its consumer covers some outputs twice."""
    from raytune_ms import te
    from raytune_ms.schedule.primitives.block_compute_at import compute_at

    A = te.placeholder((14, 4), name="A")
    k = te.reduce_axis((0, 4), name="k")
    R = te.compute((14,), lambda i: te.sum(A[i, k], axis=k), name="R")
    C = te.compute((12,), lambda i: R[i] + R[i + 2], name="C")
    f0 = te.create_prim_func([A, C])
    f, (o, _) = split(f0, loops_of(f0, "C")[0], [3, 4])
    f = compute_at(f, "R", o)
    assert_same_result(f0, f)
    with pytest.raises(ScheduleError, match=r"block 'R' computes some outputs more than once"):
        decompose_reduction(f, "R", o)
    g, _ = decompose_reduction(f, "R", loops_of(f, "R")[1])  # inside one window: fine
    assert_same_result(f0, g)


def test_error_loop_repeating_the_block():
    """A row reduction computed at the column loop of its consumer runs once per column."""
    from raytune_ms import te
    from raytune_ms.schedule.primitives.block_compute_at import compute_at

    A = te.placeholder((4, 6), name="A")
    k = te.reduce_axis((0, 6), name="k")
    R = te.compute((4,), lambda i: te.sum(A[i, k], axis=k), name="R")
    D = te.compute((4, 6), lambda i, j: A[i, j] - R[i], name="D")
    f0 = te.create_prim_func([A, D])
    f = compute_at(f0, "R", loops_of(f0, "D")[1])
    with pytest.raises(ScheduleError, match=r"loop 'j' repeats block 'R'"):
        decompose_reduction(f, "R", loops_of(f, "R")[0])
    g, _ = decompose_reduction(f, "R", loops_of(f, "R")[2])
    assert_same_result(f0, g)
