"""split / fuse / reorder / add_unit_loop: structure, semantics, and errors that leave the
schedule unchanged."""

import pytest

from raytune_ms import tir
from raytune_ms.schedule import Schedule
from raytune_ms.testing import assert_error_leaves_unchanged, assert_same_semantics, chain, matmul


def _loop_names(sch, block):
    return [sch.get(lp).loop_var.name for lp in sch.get_loops(block)]


def test_split_divisible_rewrites_bindings_without_predicate():
    f = matmul()
    sch = Schedule(f)
    b = sch.get_block("C")
    i, j, k = sch.get_loops(b)
    i0, i1 = sch.split(i, [4, 4])
    assert [sch.get(x).extent.value for x in (i0, i1)] == [4, 4]
    realize = tir.collect(sch.mod["main"].body, tir.BlockRealize)[1]
    assert realize.block.name == "C"
    assert tir.structural_equal(realize.predicate, tir.const(True))
    assert tir.script(realize.iter_values[0]) == "((i_0 * 4) + i_1)"
    assert_same_semantics(f, sch.mod["main"])


def test_split_with_none_and_non_divisible_adds_predicate():
    f = matmul()
    sch = Schedule(f)
    b = sch.get_block("C")
    _, j, _ = sch.get_loops(b)
    j0, j1 = sch.split(j, [None, 5])
    assert sch.get(j0).extent.value == 3
    c = [r for r in tir.collect(sch.mod["main"].body, tir.BlockRealize) if r.block.name == "C"][0]
    assert "< 12" in tir.script(c.predicate)
    assert_same_semantics(f, sch.mod["main"])


def test_split_with_expr_rvs_and_three_levels():
    f = matmul()
    sch = Schedule(f, seed=3)
    b = sch.get_block("C")
    i, _, _ = sch.get_loops(b)
    factors = sch.sample_perfect_tile(i, 3, max_innermost_factor=4)
    loops = sch.split(i, factors)
    assert [sch.get(x).extent.value for x in loops] == [sch.get(v) for v in factors]
    assert_same_semantics(f, sch.mod["main"])


def test_split_unit_factor_not_preserved():
    f = matmul()
    sch = Schedule(f)
    i, _, _ = sch.get_loops(sch.get_block("C"))
    sch.split(i, [1, 16], preserve_unit_iters=False)
    c = [r for r in tir.collect(sch.mod["main"].body, tir.BlockRealize) if r.block.name == "C"][0]
    assert tir.script(c.iter_values[0]) == "i_1"
    assert_same_semantics(f, sch.mod["main"])


@pytest.mark.parametrize("factors, words", [
    ([None, None], ["'i'", "at most one"]),
    ([2, 3], ["'i'", "multiply to 6", "16"]),
    ([-2, 8], ["'i'", "positive"]),
    ([0, 8], ["'i'", "positive"]),
    ([16], ["'i'", "at least 2"]),
])
def test_split_errors(factors, words):
    sch = Schedule(matmul())
    i, _, _ = sch.get_loops(sch.get_block("C"))
    assert_error_leaves_unchanged(sch, lambda: sch.split(i, factors), *words)


def test_removed_loop_is_reported_by_name():
    sch = Schedule(matmul())
    i, _, _ = sch.get_loops(sch.get_block("C"))
    sch.split(i, [4, 4])
    assert_error_leaves_unchanged(sch, lambda: sch.split(i, [2, 8]), "'i'", "no longer exists")
    assert_error_leaves_unchanged(sch, lambda: sch.parallel(i), "'i'")


def test_fuse_then_split_simplifies_back():
    f = matmul()
    sch = Schedule(f)
    b = sch.get_block("C")
    i, j, _ = sch.get_loops(b)
    fused = sch.fuse(i, j)
    assert sch.get(fused).extent.value == 16 * 12
    assert sch.get(fused).loop_var.name == "i_j_fused"
    assert_same_semantics(f, sch.mod["main"])
    o, n = sch.split(fused, [None, 12])
    c = [r for r in tir.collect(sch.mod["main"].body, tir.BlockRealize) if r.block.name == "C"][0]
    assert [tir.script(v) for v in c.iter_values] == ["i_j_fused_0", "i_j_fused_1", "k"]
    assert_same_semantics(f, sch.mod["main"])


def test_fuse_of_split_loops_recovers_original_binding():
    f = matmul()
    sch = Schedule(f)
    i, _, _ = sch.get_loops(sch.get_block("C"))
    i0, i1 = sch.split(i, [4, 4])
    sch.fuse(i0, i1)
    c = [r for r in tir.collect(sch.mod["main"].body, tir.BlockRealize) if r.block.name == "C"][0]
    assert tir.script(c.iter_values[0]) == "i_0_i_1_fused"


def test_fuse_three_and_single_loop():
    f = matmul()
    sch = Schedule(f)
    i = sch.get_loops(sch.get_block("D"))[0]
    sch.fuse(i)  # a single loop is renamed
    ci, cj, ck = sch.get_loops(sch.get_block("C"))
    sch.fuse(ci, cj, ck)
    assert_same_semantics(f, sch.mod["main"])


def test_fuse_errors():
    sch = Schedule(matmul())
    i, j, k = sch.get_loops(sch.get_block("C"))
    assert_error_leaves_unchanged(sch, lambda: sch.fuse(i, k), "'i'", "'k'", "not directly nested")
    assert_error_leaves_unchanged(sch, lambda: sch.fuse(j, i), "'j'", "'i'")
    assert_error_leaves_unchanged(sch, lambda: sch.fuse(i, i), "'i'", "more than once")
    d_i, _ = sch.get_loops(sch.get_block("D"))
    assert_error_leaves_unchanged(sch, lambda: sch.fuse(i, d_i), "not directly nested")


def test_reorder_permutes_and_keeps_semantics():
    f = matmul()
    sch = Schedule(f)
    b = sch.get_block("C")
    i, j, k = sch.get_loops(b)
    i0, i1 = sch.split(i, [4, 4])
    sch.reorder(k, i1, j)  # positions of i_1, j, k
    assert _loop_names(sch, b) == ["i_0", "k", "i_1", "j"]
    assert_same_semantics(f, sch.mod["main"])


def test_reorder_errors():
    sch = Schedule(chain())
    bi, bj = sch.get_loops(sch.get_block("B"))
    ci, cj = sch.get_loops(sch.get_block("C"))
    assert_error_leaves_unchanged(sch, lambda: sch.reorder(bj, ci), "not in the same loop nest")
    assert_error_leaves_unchanged(sch, lambda: sch.reorder(bi, bi), "more than once")
    sch2 = Schedule(chain())
    i, j = sch2.get_loops(sch2.get_block("B"))
    # a loop over both blocks: reorder across the sequence is not a single chain
    sch2.fuse(*sch2.get_loops(sch2.get_block("C")))
    root_loops = sch2.get_loops(sch2.get_block("B"))
    assert len(root_loops) == 2


def test_reorder_across_sequence_rejected():
    f = matmul()
    sch = Schedule(f)
    b = sch.get_block("C")
    i, j, k = sch.get_loops(b)
    d = sch.get_block("D")
    sch.reverse_compute_at(d, i)
    i, j, k = sch.get_loops(b)
    di, dj = sch.get_loops(d)
    assert di is not i and sch.get(di).loop_var is sch.get(i).loop_var
    assert_error_leaves_unchanged(sch, lambda: sch.reorder(j, i), "single chain")
    assert_error_leaves_unchanged(sch, lambda: sch.reorder(k, dj), "not in the same loop nest")


def test_add_unit_loop():
    f = matmul()
    sch = Schedule(f)
    b = sch.get_block("D")
    u = sch.add_unit_loop(b)
    assert sch.get(u).extent.value == 1
    i, _ = sch.get_loops(sch.get_block("C"))[:2]
    u2 = sch.add_unit_loop(i)
    assert _loop_names(sch, sch.get_block("C"))[0] == "u"
    assert sch.get(u2).extent.value == 1
    assert_same_semantics(f, sch.mod["main"])
