"""parallel / vectorize / unroll / bind and annotate / unannotate."""

import pytest

from raytune_ms import tir
from raytune_ms.schedule import Schedule
from raytune_ms.testing import assert_error_leaves_unchanged, assert_same_semantics, matmul
from raytune_ms.testing import row_sum as rowsum


def test_kinds_set_and_semantics_kept():
    f = matmul()
    sch = Schedule(f)
    b = sch.get_block("C")
    i, j, k = sch.get_loops(b)
    sch.parallel(i)
    sch.vectorize(j)
    sch.unroll(k)
    assert [sch.get(x).kind for x in (i, j, k)] == ["parallel", "vectorized", "unrolled"]
    assert_same_semantics(f, sch.mod["main"])


@pytest.mark.parametrize("method, verb", [("parallel", "parallelize"), ("vectorize", "vectorize")])
def test_reduction_loop_cannot_run_concurrently(method, verb):
    sch = Schedule(matmul())
    b = sch.get_block("C")
    _, _, k = sch.get_loops(b)
    assert_error_leaves_unchanged(sch, lambda: getattr(sch, method)(k), verb, "'k'", "'C'",
                                  "reduction")


def test_fused_loop_carrying_a_reduction_is_rejected():
    sch = Schedule(rowsum())
    b = sch.get_block("B")
    i, k = sch.get_loops(b)
    f = sch.fuse(i, k)
    assert_error_leaves_unchanged(sch, lambda: sch.parallel(f), "'i_k_fused'", "'B'")
    sch.unroll(f)  # unrolling a reduction loop is fine


def test_bind():
    sch = Schedule(rowsum())
    i, k = sch.get_loops(sch.get_block("B"))
    sch.bind(i, "blockIdx.x")
    assert sch.get(i).kind == "thread_binding" and sch.get(i).thread_tag == "blockIdx.x"
    sch.bind(k, "threadIdx.x")  # a cross-thread reduction
    sch2 = Schedule(rowsum())
    i2, k2 = sch2.get_loops(sch2.get_block("B"))
    assert_error_leaves_unchanged(sch2, lambda: sch2.bind(i2, "warp.x"), "'i'", "warp.x",
                                  "threadIdx.x")
    assert_error_leaves_unchanged(sch2, lambda: sch2.bind(k2, "blockIdx.x"), "'k'", "reduction")


def test_annotate_and_unannotate_blocks_and_loops():
    f = matmul()
    sch = Schedule(f)
    b = sch.get_block("C")
    i, _, _ = sch.get_loops(b)
    sch.annotate(b, "meta_schedule.tiling_structure", "SSRSRS")
    sch.annotate(i, "pragma_auto_unroll_max_step", 16)
    v = sch.sample_categorical([0, 16, 64], [0.2, 0.3, 0.5])
    sch.annotate(b, "meta_schedule.unroll_explicit", v)
    assert sch.get(b).annotation("meta_schedule.tiling_structure") == "SSRSRS"
    assert sch.get(b).annotation("meta_schedule.unroll_explicit") == sch.get(v)
    assert sch.get(i).annotation("pragma_auto_unroll_max_step") == 16
    sch.unannotate(b, "meta_schedule.tiling_structure")
    assert sch.get(b).annotation("meta_schedule.tiling_structure") is None
    assert_error_leaves_unchanged(sch, lambda: sch.unannotate(i, "nope"), "loop 'i'", "'nope'")
    assert_error_leaves_unchanged(sch, lambda: sch.annotate(b, "x", object()), "block 'C'")
    assert_same_semantics(f, sch.mod["main"])
    # the program's structural hash reflects annotations
    assert tir.structural_hash(sch.mod) != tir.structural_hash(Schedule(f).mod)
