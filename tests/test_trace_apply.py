"""schedule_using_anchor_trace: a trace made on conv2d+bias serves conv2d+bias+relu and
conv2d+bias+add+relu (the extra blocks inlined), and one tuned on conv2d+bias+relu serves
conv2d+bias (the instructions on the relu block skipped); all checked against numpy."""

import numpy as np
import pytest

from raytune_ms import Schedule, build, te, topi
from raytune_ms.testing.design_spaces import check_numpy, context, replays
from raytune_ms.topi import testing as ref
from raytune_ms.trace_apply import block_names, replay_present, schedule_using_anchor_trace, traced_blocks

SHAPE_X, SHAPE_W = (1, 4, 10, 10), (8, 4, 3, 3)


def _conv(tail):
    x = te.placeholder(SHAPE_X, name="x")
    w = te.placeholder(SHAPE_W, name="w")
    b = te.placeholder((8,), name="b")
    y = topi.conv(x, w, b, 1, 1, 1, 1)
    extra = [te.placeholder(y.shape, name="r")] if tail == "add_relu" else []
    if tail == "relu":
        y = topi.relu(y)
    elif tail == "add_relu":
        y = topi.relu(topi.add(y, extra[0]))
    return te.create_prim_func([x, w, b, *extra, y])


def _anchor_trace():
    sch = Schedule(_conv(None))
    conv = sch.get_block("conv2d_nchw")
    n, co, h, w, ci, kh, kw = sch.get_loops(conv)
    co0, co1 = sch.split(co, [None, 4])
    w0, w1 = sch.split(w, [None, 5])
    sch.reorder(n, co0, h, ci, kh, kw, w0, co1, w1)
    sch.parallel(sch.fuse(n, co0))
    sch.vectorize(w1)
    sch.compute_inline(sch.get_block("pad_temp"))
    return sch.trace


@pytest.mark.parametrize("tail", ["relu", "add_relu"])
def test_anchor_trace_serves_fused_variants(tail):
    func = _conv(tail)
    sch = Schedule(func)
    schedule_using_anchor_trace(sch, _anchor_trace(), "llvm")
    # the pad inlined by the trace; the bias, (add,) relu blocks, which it does not name, merged into one
    assert len(block_names(sch)) == 2 and block_names(sch)[0] == "conv2d_nchw"
    rng = np.random.default_rng(0)
    x, w, b, r = (rng.uniform(-1, 1, s).astype("float32") for s in (SHAPE_X, SHAPE_W, (8,), (1, 8, 10, 10)))
    out = np.zeros((1, 8, 10, 10), "float32")
    args = (x, w, b, r) if tail == "add_relu" else (x, w, b)
    build(sch.mod)(*args, out)
    want = ref.conv(x, w, b, 1, 1, 1, 1)
    want = np.maximum(want + r, 0) if tail == "add_relu" else np.maximum(want, 0)
    np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-4)


def _check_conv_bias(sch):
    rng = np.random.default_rng(1)
    x, w, b = (rng.uniform(-1, 1, s).astype("float32") for s in (SHAPE_X, SHAPE_W, (8,)))
    out = np.zeros((1, 8, 10, 10), "float32")
    build(sch.mod)(x, w, b, out)
    np.testing.assert_allclose(out, ref.conv(x, w, b, 1, 1, 1, 1), rtol=1e-4, atol=1e-4)


def test_instructions_on_absent_blocks_are_skipped_with_what_they_derive():
    sch = Schedule(_conv("relu"))
    loops = sch.get_loops(sch.get_block("T_relu"))
    sch.parallel(loops[0])
    sch.vectorize(loops[-1])
    _anchor_trace().apply_to_schedule(sch)
    trace = sch.trace
    target = Schedule(_conv(None))
    skipped, standing = replay_present(target, trace, {*block_names(target), "root"})
    assert [i.kind.name for i in skipped] == ["GetBlock", "GetLoops", "Parallel", "Vectorize"]
    assert standing == []
    _check_conv_bias(target)


def test_a_trace_tuned_with_relu_serves_the_kernel_without_it():
    tuned_on, func = _conv("relu"), _conv(None)
    schedules, _ = replays(context(tuned_on, target="llvm"), 4, seed=2)
    assert schedules
    for tuned in schedules:
        assert "T_relu" in traced_blocks(tuned.trace)
        check_numpy(tuned_on, tuned, interpreter=False)
        sch = Schedule(func)
        schedule_using_anchor_trace(sch, tuned.trace, "llvm")
        _check_conv_bias(sch)


def test_a_trace_of_another_anchor_leaves_the_program_as_it_was():
    x = te.placeholder((4, 4), name="x")
    func = te.create_prim_func([x, topi.relu(x)])
    sch = Schedule(func)
    schedule_using_anchor_trace(sch, _anchor_trace(), "llvm")
    a = np.random.default_rng(0).uniform(-1, 1, (4, 4)).astype("float32")
    out = np.zeros((4, 4), "float32")
    build(sch.mod)(a, out)
    np.testing.assert_array_equal(out, np.maximum(a, 0))
