"""cache_read / cache_write / set_scope: new buffers and copy blocks, placement, redirection of
consumers, and errors."""

import pytest

from raytune_ms import te, tir
from raytune_ms.schedule import ScheduleError
from raytune_ms.schedule.primitives.block_cache import cache_read, cache_write
from raytune_ms.schedule.primitives.block_compute_at import compute_at, reverse_compute_at
from raytune_ms.schedule.primitives.block_set_scope import set_scope
from raytune_ms.schedule.primitives.loop_transform import reorder, split
from raytune_ms.schedule.tree import block_path
from raytune_ms.testing import assert_same_result, block_names, loops_of
from raytune_ms.testing import bare_matmul as matmul


def block(func, name):
    return block_path(func, name)[-1].block


def buffers(func):
    return {b.name: b for blk in tir.collect(func.body, tir.Block) for b in blk.alloc_buffers}


def test_cache_read_inserts_copy_before_first_consumer():
    f = matmul(8, 6, 4)
    g, name = cache_read(f, "C", 1, "local")
    assert name == "B_local"
    assert block_names(g) == ["B_local", "C"]
    assert buffers(g)["B_local"].scope == "local"
    assert [r.buffer.name for r in block(g, "C").reads] == ["A", "B_local"]
    assert [r.buffer.name for r in block(g, "B_local").reads] == ["B"]
    assert_same_result(f, g)
    # a second cache of the same buffer gets a fresh name
    g2, name2 = cache_read(g, "B_local", 0, "local")
    assert name2 == "B_local_1"
    assert_same_result(f, g2)


def test_cache_read_all_consumers_or_named_ones():
    A = te.placeholder((8,), name="A")
    B = te.compute((8,), lambda i: A[i] + 1.0, name="B")
    C = te.compute((8,), lambda i: A[i] * B[i], name="C")
    f = te.create_prim_func([A, C])
    g, name = cache_read(f, "C", 0, "shared")
    assert [r.buffer.name for r in block(g, "B").reads] == ["A_shared"]
    assert [r.buffer.name for r in block(g, "C").reads][0] == "A_shared"
    assert block_names(g)[0] == "A_shared"
    assert_same_result(f, g)
    h, _ = cache_read(f, "C", 0, "shared", consumer_block_names=["C"])
    assert [r.buffer.name for r in block(h, "B").reads] == ["A"]
    assert block_names(h) == ["B", "A_shared", "C"]
    assert_same_result(f, h)


def test_cache_read_then_compute_at_tile():
    f0 = matmul(16, 16, 8)
    f, name = cache_read(f0, "C", 0, "shared")
    i, j, k = loops_of(f, "C")
    f, (k0, k1) = split(f, k, [2, 4])
    f = reorder(f, [k0, i, j, k1])
    f = compute_at(f, name, k0)
    loops = [fl.extent.value for fl in tir.collect(f.body, tir.For)
             if fl.loop_var in loops_of(f, name)]
    assert loops == [2, 16, 4]  # per k0 tile: all rows, 4 columns of A
    assert_same_result(f0, f)


def test_cache_write_with_write_back():
    f = matmul(8, 6, 4, relu=True)
    g, name = cache_write(f, "C", 0, "local")
    assert name == "C_local"
    assert block_names(g) == ["C", "C_local", "D"]
    assert [r.buffer.name for r in block(g, "C").writes] == ["C_local"]
    assert block(g, "C").init.buffer.name == "C_local"
    assert [r.buffer.name for r in block(g, "D").reads] == ["C"]
    assert_same_result(f, g)
    h, _ = cache_write(f, "C", 0, "local", consumer_block_names=["D"])
    assert [r.buffer.name for r in block(h, "D").reads] == ["C_local"]
    assert_same_result(f, h)


def test_cache_write_of_output_then_reverse_compute_at():
    f0 = matmul(8, 8, 4)
    f, name = cache_write(f0, "C", 0, "global")
    assert name == "C_global"
    i = loops_of(f, "C")[0]
    f = reverse_compute_at(f, name, i)
    assert_same_result(f0, f)


def test_set_scope():
    f = matmul(4, 4, 4, relu=True)
    g = set_scope(f, "C", 0, "shared")
    assert buffers(g)["C"].scope == "shared"
    assert block(g, "D").reads[0].buffer is buffers(g)["C"]
    assert set_scope(g, "C", 0, "shared") is g
    assert_same_result(f, g)


# ---------------------------------------------------------------------------- errors


def test_cache_errors():
    f = matmul(4, 4, 4, relu=True)
    with pytest.raises(ScheduleError, match=r"storage scope must be one of"):
        cache_read(f, "C", 0, "texture")
    with pytest.raises(ScheduleError, match=r"block 'C' has 2 read buffer\(s\) \(A, B\); index 2"):
        cache_read(f, "C", 2, "local")
    with pytest.raises(ScheduleError, match=r"block 'C' has 1 written buffer\(s\) \(C\); index -1"):
        cache_write(f, "C", -1, "local")
    with pytest.raises(ScheduleError, match=r"consumer block 'zz' is not in the scope"):
        cache_read(f, "C", 0, "local", consumer_block_names=["zz"])
    with pytest.raises(ScheduleError, match=r"block 'D' does not read buffer 'A'"):
        cache_read(f, "C", 0, "local", consumer_block_names=["D"])


def test_cache_write_needs_sole_writer():
    from raytune_ms.schedule.primitives.block_decompose_reduction import decompose_reduction

    f = matmul(4, 4, 4)
    g, _ = decompose_reduction(f, "C", loops_of(f, "C")[0])
    with pytest.raises(ScheduleError, match=r"'C' is also written by 'C_init'"):
        cache_write(g, "C", 0, "local")


def test_cache_write_consumer_inside_producer_nest():
    f = matmul(4, 4, 4, relu=True)
    g = reverse_compute_at(f, "D", loops_of(f, "C")[0])
    with pytest.raises(ScheduleError, match=r"\['D'\] read 'C' inside the same top-level statement"):
        cache_write(g, "C", 0, "local")


def test_set_scope_errors():
    f = matmul(4, 4, 4)
    with pytest.raises(ScheduleError, match=r"'C' written by block 'C' is a parameter"):
        set_scope(f, "C", 0, "local")
    with pytest.raises(ScheduleError, match=r"storage scope must be one of"):
        set_scope(f, "C", 0, "registers")
