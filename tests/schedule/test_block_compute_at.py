"""compute_at / reverse_compute_at: region inference, loop regeneration, placement, errors."""

import pytest

from raytune_ms import te, tir
from raytune_ms.schedule import Schedule, ScheduleError
from raytune_ms.schedule.primitives.block_cache import cache_write
from raytune_ms.schedule.primitives.block_compute_at import compute_at, reverse_compute_at
from raytune_ms.schedule.primitives.block_decompose_reduction import decompose_reduction
from raytune_ms.schedule.primitives.loop_transform import reorder, split
from raytune_ms.schedule.tree import block_path, loops_above
from raytune_ms.testing import assert_same_result, elementwise_chain, loops_of, stencil
from raytune_ms.testing import bare_matmul as matmul


def realize(func, name):
    return block_path(func, name)[-1]


def loop_extents(func, name):
    return [f.extent.value for f in loops_above(block_path(func, name))]


def test_compute_at_innermost_point():
    f = elementwise_chain()
    i, j = loops_of(f, "C")
    g = compute_at(f, "B", j)
    assert loops_of(g, "B") == [i, j]  # unit region: no loops of its own
    assert [v.name for v in loops_of(g, "B")] == ["i", "j"]
    assert tir.structural_equal(realize(g, "B").iter_values[0], i)
    assert_same_result(f, g)


def test_compute_at_tile_covers_the_tile():
    f = elementwise_chain()
    f, (i0, _) = split(f, loops_of(f, "D")[0], [4, None])
    g = compute_at(f, "C", i0)
    assert loop_extents(g, "C") == [4, 4, 8]
    g = compute_at(g, "B", i0)
    assert loop_extents(g, "B") == [4, 4, 8]
    kids = [s for s in tir.collect(g.body, tir.For) if s.loop_var is i0][0].body.seq
    assert len(kids) == 3  # B's nest, C's nest, D's loops, in dependency order
    assert_same_result(elementwise_chain(), g)


def test_compute_at_window_gets_halo_and_predicate():
    f = stencil(20)
    f, (i0, _) = split(f, loops_of(f, "C")[0], [None, 6])
    g = compute_at(f, "B", i0)
    assert loop_extents(g, "B") == [4, 8]  # 6 outputs need 8 inputs
    pred = realize(g, "B").predicate
    assert not (isinstance(pred, tir.IntImm) and pred.value)  # last tile would overrun B
    assert_same_result(stencil(20), g)


def test_compute_at_preserve_unit_loops():
    f = elementwise_chain()
    i, j = loops_of(f, "C")
    g = compute_at(f, "B", j, preserve_unit_loops=True)
    assert loop_extents(g, "B") == [16, 8, 1, 1]
    assert_same_result(f, g)


def test_compute_at_reduction_block_keeps_full_reduction():
    f = matmul(8, 8, 6, relu=True)
    i, j = loops_of(f, "D")
    g = compute_at(f, "C", i)
    assert loop_extents(g, "C") == [8, 8, 6]  # i fixed, all of j, all of k
    assert_same_result(f, g)
    g = compute_at(f, "C", j)
    assert loop_extents(g, "C") == [8, 8, 6]
    assert_same_result(f, g)


def _two_producers():
    A = te.placeholder((8, 4), name="A")
    P = te.compute((8, 4), lambda i, j: A[i, j] + 1.0, name="P")
    Q = te.compute((8, 4), lambda i, j: A[i, j] * 3.0, name="Q")
    D = te.compute((8, 4), lambda i, j: P[i, j] - Q[i, j], name="D")
    return te.create_prim_func([A, D])


def _children_names(func, loop_var):
    loop = [s for s in tir.collect(func.body, tir.For) if s.loop_var is loop_var][0]
    return [[b.name for b in tir.collect(k, tir.Block)][0] for k in loop.body.seq]


def test_compute_at_index_positions():
    f = _two_producers()
    i = loops_of(f, "D")[0]
    f1 = compute_at(f, "P", i)
    last = compute_at(f1, "Q", i, index=-1)
    first = compute_at(f1, "Q", i, index=-2)
    assert _children_names(last, i) == ["P", "Q", "D"]
    assert _children_names(first, i) == ["Q", "P", "D"]
    assert _children_names(compute_at(f1, "Q", i, index=1), i) == ["P", "Q", "D"]
    for g in (last, first):
        assert_same_result(f, g)
    with pytest.raises(ScheduleError, match=r"index 3 .*must be -1, -2 or in \[0, 1\]"):
        compute_at(f1, "Q", i, index=3)


def test_reverse_compute_at_epilogue_under_tile():
    f = matmul(16, 12, 8, relu=True)
    i, j, k = loops_of(f, "C")
    f, (i0, i1) = split(f, i, [4, 4])
    f, (j0, j1) = split(f, j, [3, 4])
    f = reorder(f, [i0, j0, i1, j1])
    g = reverse_compute_at(f, "D", j0)
    assert loop_extents(g, "D") == [4, 3, 4, 4]
    assert loops_of(g, "D")[:2] == [i0, j0]
    assert_same_result(matmul(16, 12, 8, relu=True), g)


def test_reverse_compute_at_broadcast_keeps_free_axis():
    A = te.placeholder((8, 16), name="A")
    k = te.reduce_axis((0, 16), name="k")
    R = te.compute((8,), lambda i: te.sum(A[i, k], axis=k), name="R")
    D = te.compute((8, 5), lambda i, j: R[i] * 2.0, name="D")
    f = te.create_prim_func([A, D])
    f2, (i0, _) = split(f, loops_of(f, "R")[0], [2, 4])
    g = reverse_compute_at(f2, "D", i0)
    assert loop_extents(g, "D") == [2, 4, 5]
    assert_same_result(f, g)


def test_classic_cache_write_chain_is_correct():
    f0 = matmul(32, 32, 16)
    f, wb = cache_write(f0, "C", 0, "local")
    i, j, k = loops_of(f, "C")
    f, (i0, i1) = split(f, i, [4, 8])
    f, (j0, j1) = split(f, j, [2, 16])
    f, (k0, k1) = split(f, k, [4, 4])
    f = reorder(f, [i0, j0, k0, i1, k1, j1])
    f = reverse_compute_at(f, wb, j0)
    assert loop_extents(f, wb) == [4, 2, 8, 16]
    f, init = decompose_reduction(f, "C", k0)
    assert loop_extents(f, init) == [4, 2, 8, 16]
    assert_same_result(f0, f)


# ---------------------------------------------------------------------------- errors


def test_error_loop_encloses_block_itself():
    f = elementwise_chain()
    with pytest.raises(ScheduleError, match=r"loop 'i' already encloses block 'B'"):
        compute_at(f, "B", loops_of(f, "B")[0])


def test_error_consumer_outside_loop():
    A = te.placeholder((8,), name="A")
    B = te.compute((8,), lambda i: A[i] + 1.0, name="B")
    C = te.compute((8,), lambda i: B[i] * 2.0, name="C")
    D = te.compute((8,), lambda i: B[i] - C[i], name="D")
    f = te.create_prim_func([A, D])
    with pytest.raises(ScheduleError, match=r"consumer 'D' of block 'B' is not under loop 'i'"):
        compute_at(f, "B", loops_of(f, "C")[0])


def test_error_no_consumers_or_producers():
    f = elementwise_chain()
    with pytest.raises(ScheduleError, match=r"block 'D' writes \['D'\], output\(s\) of the function"):
        compute_at(f, "D", loops_of(f, "B")[0])
    with pytest.raises(ScheduleError, match=r"block 'B' has no producers"):
        reverse_compute_at(f, "B", loops_of(f, "D")[0])


def test_error_reduction_without_init():
    f = matmul(8, 8, 4, relu=True)
    f, _ = decompose_reduction(f, "C", loops_of(f, "C")[0])
    with pytest.raises(ScheduleError, match=r"block 'C' is a reduction without an init"):
        compute_at(f, "C", loops_of(f, "D")[0])


def test_error_reverse_window_read():
    f = stencil(12)
    with pytest.raises(ScheduleError, match=r"block 'C' accesses dimension 0 of buffer 'B'"):
        reverse_compute_at(f, "C", loops_of(f, "B")[0])


def _two_inputs(order):
    A = te.placeholder((8,), name="A")
    B = te.compute((8,), lambda i: A[i] + 1.0, name="B")
    Q = te.compute((8,), lambda i: A[i] * 3.0, name="Q")
    first, second = (B, Q) if order == "BQ" else (Q, B)
    D = te.compute((8,), lambda i: first[i] - second[i], name="D")
    return te.create_prim_func([A, D])


def test_reverse_compute_at_with_producer_before_the_loop():
    f = _two_inputs("QB")
    f2, (o, _) = split(f, loops_of(f, "B")[0], [2, 4])
    g = reverse_compute_at(f2, "D", o)
    assert loop_extents(g, "D") == [2, 4]
    assert_same_result(f, g)
    h = _two_inputs("BQ")
    h2, (o, _) = split(h, loops_of(h, "B")[0], [2, 4])
    with pytest.raises(ScheduleError, match=r"block 'D' would run before its producer 'Q'"):
        reverse_compute_at(h2, "D", o)
    assert_same_result(h, reverse_compute_at(h2, "D", loops_of(h2, "Q")[0]))  # B runs before
    c = elementwise_chain()
    with pytest.raises(ScheduleError, match=r"no producer of block 'D' \(C\) is under loop 'i'"):
        reverse_compute_at(c, "D", loops_of(c, "B")[0])


def test_error_reverse_padding_consumer():
    A = te.placeholder((6,), name="A")
    B = te.compute((6,), lambda i: A[i] * 2.0, name="B")
    P = te.compute((8,), lambda i: te.if_then_else(tir.all_of(i >= 1, i < 7), B[i - 1], 0.0), name="P")
    f = te.create_prim_func([A, P])
    with pytest.raises(ScheduleError,
                       match=r"iterator 'v_i' only over \[1, 7\), not its whole domain \[0, 8\)"):
        reverse_compute_at(f, "P", loops_of(f, "B")[0])


def test_error_reverse_splits_a_reduction():
    A = te.placeholder((4, 8), name="A")
    E = te.compute((4, 8), lambda i, j: A[i, j] * 2.0, name="E")
    k = te.reduce_axis((0, 8), name="k")
    R = te.compute((4,), lambda i: te.sum(E[i, k], axis=k), name="R")
    f = te.create_prim_func([A, R])
    f, (j0, _) = split(f, loops_of(f, "E")[1], [2, 4])
    with pytest.raises(ScheduleError, match=r"only part of its reduction iterator 'v_k'"):
        reverse_compute_at(f, "R", j0)
    # at the row loop the whole reduction is produced: legal
    g = reverse_compute_at(f, "R", loops_of(f, "E")[0])
    assert_same_result(te.create_prim_func([A, R]), g)


def test_error_index_after_a_consumer():
    """Q feeds B, both under D's loop: Q may not be placed after B."""
    A = te.placeholder((8,), name="A")
    Q = te.compute((8,), lambda i: A[i] + 1.0, name="Q")
    B = te.compute((8,), lambda i: Q[i] * 2.0, name="B")
    D = te.compute((8,), lambda i: B[i] + A[i], name="D")
    f = te.create_prim_func([A, D])
    i = loops_of(f, "D")[0]
    f = compute_at(f, "B", i)
    with pytest.raises(ScheduleError, match=r"index 1 for block 'Q' under loop 'i' must be .* \[0, 0\]"):
        compute_at(f, "Q", i, index=1)
    g = compute_at(f, "Q", i)
    assert _children_names(g, i) == ["Q", "B", "D"]
    assert_same_result(te.create_prim_func([A, D]), g)


def test_schedule_error_leaves_schedule_unchanged():
    sch = Schedule(elementwise_chain())
    before = (tir.structural_hash(sch.mod), len(sch.trace))
    b = sch.get_block("B")
    with pytest.raises(ScheduleError, match="already encloses"):
        sch.compute_at(b, sch.get_loops(b)[0])
    assert tir.structural_hash(sch.mod) == before[0]
    assert len(sch.trace) == before[1] + 2  # only the two getters were recorded


def test_reverse_consumer_smaller_than_produced_tile():
    """A consumer over 4 points reading B[v + 2] under a loop producing 8 of B per iteration
    computes only the points whose input is produced in that iteration."""
    A = te.placeholder((16,), name="A")
    B = te.compute((16,), lambda i: A[i] + 1.0, name="B")
    C = te.compute((4,), lambda i: B[i + 2] * 2.0, name="C")
    f = te.create_prim_func([A, C])
    f2, (o, _) = split(f, loops_of(f, "B")[0], [2, 8])
    g = reverse_compute_at(f2, "C", o)
    pred = realize(g, "C").predicate
    assert not (isinstance(pred, tir.IntImm) and pred.value)
    assert_same_result(f, g)


def test_error_reverse_under_producer_reduction_loop():
    f = matmul(4, 4, 8, relu=True)
    i, j, k = loops_of(f, "C")
    with pytest.raises(ScheduleError, match=r"producer 'C' of block 'D' reduces over loop 'k'"):
        reverse_compute_at(f, "D", k)
    assert_same_result(f, reverse_compute_at(f, "D", j))
