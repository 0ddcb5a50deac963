"""Postprocessors: each one's rewrite or check on small programs, results against numpy, and
their instructions recorded after EnterPostproc so that a replayed trace reproduces them."""

import pytest

from raytune_ms import tir
from raytune_ms.postproc import (
    DisallowDynamicLoop,
    Postproc,
    RewriteLayout,
    RewriteParallelVectorizeUnroll,
    RewriteReductionBlock,
)
from raytune_ms.postproc.rewrite_parallel_vectorize_unroll import max_fusible
from raytune_ms.schedule import Schedule
from raytune_ms.schedule.tree import block_path, loops_above
from raytune_ms.testing import elementwise_chain, matmul, row_sum, tile_matmul
from raytune_ms.testing.design_spaces import check_numpy


def kinds(func, name):
    return [f.kind for f in loops_above(block_path(func, name))]


def annotate_root(sch, parallel=32, vectorize=64, unroll=16):
    root = sch.get_block("root")
    sch.annotate(root, "meta_schedule.parallel", parallel)
    sch.annotate(root, "meta_schedule.vectorize", vectorize)
    if unroll is not None:
        sch.annotate(root, "meta_schedule.unroll_explicit", unroll)


def test_create_llvm_order():
    assert [type(p) for p in Postproc.create("llvm")] == [
        DisallowDynamicLoop, RewriteParallelVectorizeUnroll, RewriteReductionBlock, RewriteLayout]
    with pytest.raises(ValueError, match="hexagon.*known: cuda, cuda-tensorcore, llvm"):
        Postproc.create("hexagon")


def test_disallow_dynamic_loop():
    sch = Schedule(elementwise_chain(4, 4))
    assert DisallowDynamicLoop().apply(sch)
    n = tir.Var("n", "int32")
    func = sch.mod["main"]
    dyn = tir.transform(func.body, post=lambda s: s.replace(extent=n) if isinstance(s, tir.For) else None)
    assert not DisallowDynamicLoop().apply(Schedule(func.with_body(dyn)))


@pytest.mark.parametrize("which", ["first", "last"])
def test_disallow_dynamic_loop_finds_one_deep_loop(which):
    """One dynamic loop anywhere (the innermost loop of the first or the last block, and of
    a reduction's init) rejects the program; the others stay accepted."""
    n = tir.Var("n", "int32")
    for func in (elementwise_chain(4, 4), matmul(8, 8, 8)):
        names = [r.block.name for r in tir.collect(func.body, tir.BlockRealize) if r.block.name != "root"]
        inner = loops_above(block_path(func, names[0 if which == "first" else -1]))[-1]
        dyn = tir.transform(func.body, post=lambda s, inner=inner: s.replace(extent=n) if s is inner else None)
        assert DisallowDynamicLoop().apply(Schedule(func))
        assert not DisallowDynamicLoop().apply(Schedule(func.with_body(dyn)))
    init = tir.For(tir.Var("z", "int32"), 0, n, "serial", tir.Evaluate(tir.IntImm(0)))
    red = matmul(8, 8, 8)
    blk = block_path(red, "C")[-1].block
    dyn = tir.transform(red.body, post=lambda s: s.replace(init=init) if s is blk else None)
    assert not DisallowDynamicLoop().apply(Schedule(red.with_body(dyn)))


def test_rewrite_reduction_block_hoists_every_init():
    func = row_sum(4, 16)
    sch = Schedule(func)
    b = sch.get_block("B")
    sch.split(sch.get_loops(b)[1], [4, 4])
    sch.enter_postproc()
    assert RewriteReductionBlock().apply(sch)
    assert all(blk.init is None for blk in tir.collect(sch.mod["main"].body, tir.Block))
    check_numpy(func, sch)
    spatial_only = Schedule(elementwise_chain(4, 4))
    assert RewriteReductionBlock().apply(spatial_only) and len(spatial_only.trace) == 0


def test_parallel_vectorize_unroll_rewrite():
    func = matmul(16, 16, 8, epilogue="add")
    sch = Schedule(func, seed=3)
    c = sch.get_block("C")
    i, j, k = sch.get_loops(c)
    i0, i1 = sch.split(i, [4, 4])
    j0, j1 = sch.split(j, [2, 8])
    sch.reorder(i0, j0, k, i1, j1)
    annotate_root(sch)
    sch.enter_postproc()
    assert RewriteParallelVectorizeUnroll().apply(sch)
    f = sch.mod["main"]
    assert not {"meta_schedule.parallel", "meta_schedule.vectorize"} & set(dict(f.body.block.annotations))
    assert kinds(f, "C")[0] == "parallel" and kinds(f, "C")[-1] == "vectorized"
    outer = loops_above(block_path(f, "C"))[0]
    assert outer.annotation("pragma_auto_unroll_max_step") == 16
    assert kinds(f, "D") == ["parallel", "vectorized"]  # fully fusible: fused and split [rest, 64]
    check_numpy(func, sch)
    replay = Schedule(func)
    sch.trace.apply_to_schedule(replay)
    assert tir.structural_equal(replay.mod, sch.mod)


def test_contiguity_of_a_tiled_matmul():
    func = matmul(16, 16, 8, epilogue=None)
    sch = Schedule(func)
    c = sch.get_block("C")
    i, j, k = sch.get_loops(c)
    j0, j1 = sch.split(j, [2, 8])
    sch.reorder(j0, i, k, j1)
    path = block_path(sch.mod["main"], "C")
    assert max_fusible(path[-1], loops_above(path)) == 1  # j1 walks C and B contiguously, k does not


def test_full_llvm_postprocessing_of_a_tiled_matmul_is_correct_and_replays():
    func = matmul(32, 32, 16, epilogue="relu")
    for seed in range(4):
        sch = tile_matmul(Schedule(func, seed=seed), cache=True)
        annotate_root(sch, unroll=None)
        sch.enter_postproc()
        assert all(p.apply(sch) for p in Postproc.create("llvm"))
        check_numpy(func, sch)
        replay = Schedule(func)
        sch.trace.apply_to_schedule(replay)
        assert tir.structural_equal(replay.mod, sch.mod)


def test_rewrite_layout_leaves_the_program():
    sch = Schedule(matmul(8, 8, 8, epilogue=None))
    before = tir.structural_hash(sch.mod)
    assert RewriteLayout().apply(sch) and tir.structural_hash(sch.mod) == before


def test_nests_under_a_shared_one_iteration_loop_are_parallelised():
    # B computed at a one-iteration outer loop of C (as a packed panel at a column-panel loop
    # of extent 1): the walk starts below that loop, so both nests still get a parallel loop
    func = elementwise_chain(64, 32, stages=2)
    sch = Schedule(func)
    i, j = sch.get_loops(sch.get_block("C"))
    i0, i1 = sch.split(i, [1, 64])
    sch.compute_at(sch.get_block("B"), i0, preserve_unit_loops=True)
    annotate_root(sch, unroll=None)
    sch.enter_postproc()
    assert RewriteParallelVectorizeUnroll().apply(sch)
    f = sch.mod["main"]
    assert kinds(f, "B")[0] == "serial" and "parallel" in kinds(f, "B")
    assert kinds(f, "C")[0] == "serial" and "parallel" in kinds(f, "C")
    check_numpy(func, sch)
    replay = Schedule(func)
    sch.trace.apply_to_schedule(replay)
    assert tir.structural_equal(replay.mod, sch.mod)


def test_a_long_innermost_loop_is_split_and_vectorised():
    func = elementwise_chain(4, 256, stages=1)  # rows of 256, above the vector limit of 64
    sch = Schedule(func)
    annotate_root(sch, parallel=2, unroll=None)
    sch.enter_postproc()
    assert RewriteParallelVectorizeUnroll().apply(sch)
    f = sch.mod["main"]
    loops = loops_above(block_path(f, "B"))
    assert [lp.kind for lp in loops] == ["parallel", "serial", "vectorized"]
    assert loops[-1].extent.value == 64
    check_numpy(func, sch)
