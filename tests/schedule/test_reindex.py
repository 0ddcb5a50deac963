"""reindex: a read buffer read through a copy indexed by the block's iterators (a strided conv's
input window becomes an im2col tensor, which transform_layout can reorder); the program computes
what it did (compiled C and the IR interpreter against the unscheduled program), the trace
replays from JSON, and what cannot be reindexed is refused naming the block and buffer."""

import numpy as np
import pytest

from raytune_ms import te
from raytune_ms.codegen import build
from raytune_ms.schedule import Schedule, ScheduleError, Trace
from raytune_ms.testing.checks import random_inputs
from raytune_ms.testing.interpreter import interpret
from raytune_ms.tir import Block, collect, structural_equal
from raytune_ms.topi import conv_nhwc

CFG = dict(N=1, H=9, W=9, CI=3, CO=8, K=3, stride=2, padding=1)


def _conv():
    return te.create_prim_func(conv_nhwc.conv2d_nhwc(**CFG))


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
    arrays = random_inputs(func, seed=3)
    want = interpret(func, arrays)[-1]
    got = [a.copy() for a in arrays]
    build(sch.mod, "llvm")(*got)
    np.testing.assert_allclose(got[-1], want, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(interpret(sch.mod["main"], arrays)[-1], want, rtol=1e-4, atol=1e-4)
    again = Schedule(func)
    Trace.from_json(sch.trace.as_json()).apply_to_schedule(again)
    assert structural_equal(again.mod, sch.mod)
    assert "b1 = sch.reindex(block=b0, buffer=('read', 0))" in sch.trace.as_python()


def test_reindex_errors_name_the_block_and_buffer():
    sch = Schedule(_conv())
    block = sch.get_block("conv2d_nhwc")
    with pytest.raises(ScheduleError, match="only read buffers are reindexed"):
        sch.reindex(block, ("write", 0))
    with pytest.raises(ScheduleError, match="block 'conv2d_nhwc' has 2 read buffer"):
        sch.reindex(block, ("read", 5))
    a = te.placeholder((8, 8), name="A")
    b = te.compute((8, 8), lambda i, j: a[i, j] + a[j, i], name="B")
    sch = Schedule(te.create_prim_func([a, b]))
    with pytest.raises(ScheduleError, match="block 'B' must load 'A' at one index tuple"):
        sch.reindex(sch.get_block("B"), ("read", 0))
