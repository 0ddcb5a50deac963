"""pad_einsum: an einsum's iterators grown to multiples of the padding through zero-padded input
copies and a padded output cut back after; the padded program computes what the original does
(IR interpreter and compiled C against numpy), replays from its trace's JSON, and refuses blocks
it cannot pad with an error naming the block."""

import numpy as np
import pytest

from raytune_ms import te
from raytune_ms.codegen import build
from raytune_ms.schedule import Schedule, ScheduleError, Trace
from raytune_ms.testing.checks import random_inputs
from raytune_ms.testing.interpreter import interpret
from raytune_ms.tir import Block, collect, structural_equal
from raytune_ms.topi import conv_nhwc, dense


def _gmm(n, m, k, dtype="float32"):
    return te.create_prim_func(dense.batch_matmul_nkkm(1, n, m, k, dtype, "float32"))


def _check(func, sch, atol=1e-4):
    arrays = random_inputs(func, seed=3)
    want = interpret(func, arrays)[-1]
    got = [a.copy() for a in arrays]
    build(sch.mod, "llvm")(*got)
    np.testing.assert_allclose(got[-1], want, rtol=1e-4, atol=atol)
    np.testing.assert_allclose(interpret(sch.mod["main"], arrays)[-1], want, rtol=1e-4, atol=atol)


def _shapes(sch):
    return {b.name: tuple(b.shape) for blk in collect(sch.mod["main"].body, Block) for b in blk.alloc_buffers}


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_a_gmm_is_padded_to_multiples_and_computes_the_same(dtype):
    func = _gmm(100, 200, 72, dtype)
    sch = Schedule(func)
    sch.pad_einsum(sch.get_block("C"), [1, 16, 16, 16])
    assert _shapes(sch) == {"C_pad": (1, 112, 208), "A_pad": (1, 112, 80), "B_pad": (1, 80, 208)}
    extents = [int(iv.dom.extent.value) for iv in sch.get(sch.get_block("C")).iter_vars]
    assert extents == [1, 112, 208, 80]
    _check(func, sch, atol=1e-3)


def test_only_what_outgrows_is_copied_and_a_multiple_is_left_alone():
    func = _gmm(32, 20, 16)
    sch = Schedule(func)
    sch.pad_einsum(sch.get_block("C"), [1, 16, 16, 16])  # only j (20 -> 32): B and C padded, A not
    assert _shapes(sch) == {"C_pad": (1, 32, 32), "B_pad": (1, 16, 32)}
    _check(func, sch)
    plain = Schedule(_gmm(32, 32, 16))
    plain.pad_einsum(plain.get_block("C"), [1, 16, 16, 16])
    assert _shapes(plain) == {}


def test_a_conv_pads_its_channels_and_its_width_window():
    """3 input channels to 16, output channels 24 to 32 and the width 14 to 16: the padded input
    copy covers w + rw up to 17, zero beyond the padded image."""
    cfg = dict(N=1, H=5, W=14, CI=3, CO=24, K=3, stride=1, padding=1)
    func = te.create_prim_func(conv_nhwc.conv2d_nhwc(**cfg))
    sch = Schedule(func)
    sch.pad_einsum(sch.get_block("conv2d_nhwc"), [1, 1, 16, 16, 1, 1, 16])
    shapes = _shapes(sch)
    assert shapes["pad_temp_pad"] == (1, 7, 18, 16) and shapes["weight_pad"] == (3, 3, 16, 32)
    assert shapes["conv2d_nhwc_pad"] == (1, 5, 16, 32)
    _check(func, sch)


def test_pad_einsum_replays_from_json_and_prints():
    func = _gmm(20, 24, 8)
    sch = Schedule(func)
    sch.pad_einsum(sch.get_block("C"), [1, 16, 16, 16])
    again = Schedule(func)
    Trace.from_json(sch.trace.as_json()).apply_to_schedule(again)
    assert structural_equal(again.mod, sch.mod)
    assert "sch.pad_einsum(block=b0, padding=[1, 16, 16, 16])" in sch.trace.as_python()


def test_pad_einsum_errors_name_the_block():
    sch = Schedule(_gmm(20, 24, 8))
    block = sch.get_block("C")
    with pytest.raises(ScheduleError, match="block 'C' has 4 iterators; padding must give a positive int"):
        sch.pad_einsum(block, [16, 16])
    with pytest.raises(ScheduleError, match="block 'C' has 4 iterators"):
        sch.pad_einsum(block, [1, 0, 16, 16])
    _, i, _, _ = sch.get_loops(block)
    sch.split(i, [None, 4])
    with pytest.raises(ScheduleError, match="block 'C': iterator 'v_i' must be bound to a loop of its own"):
        sch.pad_einsum(block, [1, 16, 16, 16])


def test_an_output_without_init_is_not_padded():
    a = te.placeholder((20, 8), name="A")
    b = te.compute((20, 8), lambda i, j: a[i, j] * 2.0, name="B")
    sch = Schedule(te.create_prim_func([a, b]))
    with pytest.raises(ScheduleError, match="block 'B' has no init: its padded output 'B' would start undefined"):
        sch.pad_einsum(sch.get_block("B"), [16, 1])
