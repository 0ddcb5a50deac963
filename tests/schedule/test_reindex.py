"""reindex: a read or written buffer accessed through a copy indexed by the block's iterators (a
strided conv's input window becomes an im2col tensor, a transposed operand or output a copy
that transform_layout can reorder); the program computes what it did (compiled C and the IR
interpreter against the unscheduled program), the trace replays from JSON, and what cannot be
reindexed is refused naming the block and buffer."""

import numpy as np
import pytest

from raytune_ms import te
from raytune_ms.codegen import build
from raytune_ms.schedule import Schedule, ScheduleError, Trace
from raytune_ms.testing.checks import random_inputs
from raytune_ms.testing.interpreter import interpret
from raytune_ms.tir import Block, BufferLoad, collect, structural_equal
from raytune_ms.topi import conv_nhwc

CFG = dict(N=1, H=9, W=9, CI=3, CO=8, K=3, stride=2, padding=1)


def _conv():
    return te.create_prim_func(conv_nhwc.conv2d_nhwc(**CFG))


def _check(func, sch):
    arrays = random_inputs(func, seed=3)
    want = interpret(func, arrays)[-1]
    got = [a.copy() for a in arrays]
    build(sch.mod, "llvm")(*got)
    np.testing.assert_allclose(got[-1], want, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(interpret(sch.mod["main"], arrays)[-1], want, rtol=1e-4, atol=1e-4)
    again = Schedule(func)
    Trace.from_json(sch.trace.as_json()).apply_to_schedule(again)
    assert structural_equal(again.mod, sch.mod)


def _nt_gemm(transposed_out=False):
    """C[i, j] = sum_k A[i, k] * B[j, k] (or stored as C[j, i])."""
    a = te.placeholder((12, 8), name="A")
    b = te.placeholder((10, 8), name="B")
    k = te.reduce_axis(8, "k")
    if transposed_out:
        c = te.compute((10, 12), lambda j, i: te.sum(a[i, k] * b[j, k], axis=k), name="C")
    else:
        c = te.compute((12, 10), lambda i, j: te.sum(a[i, k] * b[j, k], axis=k), name="C")
    return te.create_prim_func([a, b, c])


def test_a_strided_conv_window_becomes_an_im2col_copy():
    func = _conv()
    sch = Schedule(func)
    block = sch.get_block("conv2d_nhwc")
    copy = sch.reindex(block, ("read", 0))
    assert sch.get(copy).name == "pad_temp_reindex"
    sch.transform_layout(block, ("read", 0), lambda n, h, w, rh, rw, c: (n, h, rh, rw, w, c))
    (buf,) = [b for blk in collect(sch.mod["main"].body, Block) for b in blk.alloc_buffers
              if b.name == "pad_temp_reindex"]
    assert tuple(buf.shape) == (1, 5, 3, 3, 5, 3)
    _check(func, sch)
    assert "b1 = sch.reindex(block=b0, buffer=('read', 0))" in sch.trace.as_python()


def test_a_transposed_operand_is_reindexed_and_laid_out_as_a_gemm_operand():
    func = _nt_gemm()
    sch = Schedule(func)
    block = sch.get_block("C")
    sch.reindex(block, ("read", 1))
    sch.transform_layout(block, ("read", 1), lambda j, k: (k, j))
    body = sch.get(block).body
    assert [ld for ld in collect(body, BufferLoad) if ld.buffer.name == "B_reindex"][0].indices[0].name == "v_k"
    _check(func, sch)


def test_a_written_buffer_is_reindexed_with_its_init_and_copied_back_after():
    """C[j, i] written by the block over (j, i, k): the block (init included) writes C_reindex,
    laid out [i, j] by transform_layout, and C_reindex is copied to C after."""
    func = _nt_gemm(transposed_out=True)
    sch = Schedule(func)
    block = sch.get_block("C")
    copy = sch.reindex(block, ("write", 0))
    assert sch.get(copy).name == "C_reindex"
    sch.transform_layout(block, ("write", 0), lambda j, i: (i, j))
    me = sch.get(block)
    assert me.writes[0].buffer.name == "C_reindex" and me.init.buffer.name == "C_reindex"
    assert tuple(me.writes[0].buffer.shape) == (12, 10)
    _check(func, sch)
    assert "b1 = sch.reindex(block=b0, buffer=('write', 0))" in sch.trace.as_python()
    by_name = Schedule(func)
    by_name.reindex(by_name.get_block("C"), "C")
    assert [i.attrs for i in by_name.trace.insts if i.kind.name == "ReIndex"] == [(0, "write")]


def test_a_written_buffer_needs_its_block_as_the_only_writer():
    func = _nt_gemm()
    sch = Schedule(func)
    block = sch.get_block("C")
    sch.decompose_reduction(block, sch.get_loops(block)[0])
    with pytest.raises(ScheduleError, match="buffer 'C' is also written by 'C_init'"):
        sch.reindex(block, ("write", 0))


def test_reindex_errors_name_the_block_and_buffer():
    sch = Schedule(_conv())
    block = sch.get_block("conv2d_nhwc")
    with pytest.raises(ScheduleError, match="block 'conv2d_nhwc' has 1 write buffer"):
        sch.reindex(block, ("write", 1))
    with pytest.raises(ScheduleError, match="accesses no buffer named 'nope'"):
        sch.reindex(block, "nope")
    with pytest.raises(ScheduleError, match="block 'conv2d_nhwc' has 2 read buffer"):
        sch.reindex(block, ("read", 5))
    a = te.placeholder((8, 8), name="A")
    b = te.compute((8, 8), lambda i, j: a[i, j] + a[j, i], name="B")
    sch = Schedule(te.create_prim_func([a, b]))
    with pytest.raises(ScheduleError, match="block 'B' must load 'A' at one index tuple"):
        sch.reindex(sch.get_block("B"), ("read", 0))


def test_a_written_buffer_accumulated_without_init_is_refused():
    """C[v] = C[v] + A[v] with no init adds onto what C held before: a copy back from a fresh
    C_reindex would drop that, so the write reindex is refused naming the block and buffer."""
    from raytune_ms import tir

    a, c = tir.Buffer("A", (4,)), tir.Buffer("C", (4,))
    v, i = tir.Var("v"), tir.Var("i")
    point = [tir.Range(v, 1)]
    block = tir.Block("acc", [tir.IterVar(v, tir.Range(0, 4), "spatial")],
                      [tir.BufferRegion(a, point), tir.BufferRegion(c, point)], [tir.BufferRegion(c, point)],
                      tir.BufferStore(c, c[v] + a[v], [v]))
    root = tir.Block("root", [], [], [], tir.For(i, 0, 4, "serial", tir.BlockRealize([i], True, block)))
    sch = Schedule(tir.PrimFunc([a, c], tir.BlockRealize([], True, root)))
    with pytest.raises(ScheduleError, match="block 'acc' reads 'C' with no init"):
        sch.reindex(sch.get_block("acc"), ("write", 0))
