"""The block primitives through the Schedule: outputs bound to RVs, instructions recorded and
replayed (also from JSON), errors that name the block and leave the schedule unchanged, and
RVs of removed blocks reported by name."""

import json

import pytest

from raytune_ms import tir
from raytune_ms.schedule import BlockRV, Schedule, Trace
from raytune_ms.testing import (
    assert_error_leaves_unchanged,
    assert_same_semantics,
    chain,
    matmul,
    tile_matmul,
)
from raytune_ms.testing import (
    row_sum as rowsum,
)


def _replays(f, sch):
    fresh = Schedule(f)
    Trace.from_json(json.loads(json.dumps(sch.trace.as_json()))).apply_to_schedule(fresh)
    tir.assert_structural_equal(fresh.mod, sch.mod)
    lines = sch.trace.as_python()
    again = Schedule(f)
    exec("\n".join(lines), {"sch": again})
    tir.assert_structural_equal(again.mod, sch.mod)


def test_compute_at_and_reverse_compute_at():
    f = chain()
    sch = Schedule(f)
    b, c = sch.get_block("B"), sch.get_block("C")
    i, j = sch.get_loops(c)
    i0, i1 = sch.split(i, [4, 6])
    sch.compute_at(b, i0, preserve_unit_loops=True)
    assert sch.get(sch.get_loops(b)[0]).loop_var is sch.get(i0).loop_var
    assert_same_semantics(f, sch.mod["main"])
    _replays(f, sch)
    sch2 = Schedule(f)
    b2, c2 = sch2.get_block("B"), sch2.get_block("C")
    sch2.reverse_compute_at(c2, sch2.get_loops(b2)[0])
    assert_same_semantics(f, sch2.mod["main"])
    _replays(f, sch2)


def test_compute_at_root_location_is_a_no_op_that_is_recorded():
    f = chain()
    sch = Schedule(f)
    b = sch.get_block("B")
    loc = sch.sample_compute_location(b, decision=-1)
    sch.compute_at(b, loc)
    tir.assert_structural_equal(sch.mod["main"], f)
    assert sch.trace.insts[-1].kind.name == "ComputeAt"
    _replays(f, sch)


def test_inline_and_removed_block_rv():
    f = chain()
    sch = Schedule(f)
    b = sch.get_block("B")
    sch.compute_inline(b)
    assert_same_semantics(f, sch.mod["main"])
    assert_error_leaves_unchanged(sch, lambda: sch.get_loops(b), "no block named 'B'")
    _replays(f, sch)
    sch2 = Schedule(f)
    c = sch2.get_block("C")
    sch2.reverse_compute_inline(c)
    assert_same_semantics(f, sch2.mod["main"])
    _replays(f, sch2)


def test_inline_errors_name_the_block():
    sch = Schedule(matmul())
    c = sch.get_block("C")
    assert_error_leaves_unchanged(sch, lambda: sch.compute_inline(c), "'C'")


def test_cache_read_write_set_scope_storage_align():
    f = matmul()
    sch = Schedule(f)
    c = sch.get_block("C")
    cr = sch.cache_read(c, 0, "global")
    cw = sch.cache_write(c, 0, "local")
    assert isinstance(cr, BlockRV) and isinstance(cw, BlockRV)
    assert sch.get(cr).name != "C" and sch.get(cw).name != "C"
    sch.storage_align(c, 0, 0, 4, 1)
    sch.set_scope(cr, 0, "local")
    assert_same_semantics(f, sch.mod["main"])
    _replays(f, sch)
    assert_error_leaves_unchanged(sch, lambda: sch.cache_read(c, 7, "global"), "'C'")
    assert_error_leaves_unchanged(sch, lambda: sch.set_scope(c, 0, "texture"), "texture")


def test_cache_read_with_consumer_blocks():
    f = chain()
    sch = Schedule(f)
    c = sch.get_block("C")
    b = sch.get_block("B")
    cr = sch.cache_read(c, 0, "global", consumer_blocks=[c])
    assert sch.trace.insts[-1].inputs == (c, c)
    assert [sch.get(x).name for x in sch.get_producers(c)] == [sch.get(cr).name]
    assert [sch.get(x).name for x in sch.get_consumers(b)] == [sch.get(cr).name]
    assert_same_semantics(f, sch.mod["main"])
    _replays(f, sch)


def test_rfactor_and_decompose_reduction():
    f = rowsum()
    sch = Schedule(f)
    b = sch.get_block("B")
    i, k = sch.get_loops(b)
    k0, k1 = sch.split(k, [4, 8])
    rf = sch.rfactor(k1, 0)
    assert isinstance(rf, BlockRV)
    assert_same_semantics(f, sch.mod["main"])
    init = sch.decompose_reduction(b, sch.get_loops(b)[1])
    assert sch.get(init).init is None
    assert_same_semantics(f, sch.mod["main"])
    _replays(f, sch)
    sch2 = Schedule(f)
    i2, _ = sch2.get_loops(sch2.get_block("B"))
    assert_error_leaves_unchanged(sch2, lambda: sch2.rfactor(i2, 0), "'i'")


@pytest.mark.parametrize("cache", [False, True])
def test_tiled_matmul_with_write_cache(cache):
    f = matmul(n=32, m=24, k=16)
    sch = tile_matmul(Schedule(f, seed=4), cache=cache)
    assert_same_semantics(f, sch.mod["main"])
    _replays(f, sch)
