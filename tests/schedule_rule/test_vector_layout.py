"""An NCHW convolution whose width is no whole number of vectors (ResNet-18's 56, 28, 14, 7)
writes its result, an intermediate read by the epilogue, with the output channels last, so that
MultiLevelTiling gives it a register tile over the channels (without it the accumulators lived
in memory), and its epilogue is still computed tile by tile. A function's own output and an
output whose last axis already fits keep their layout. Every schedule is checked against numpy."""

import pytest

from raytune_ms import te, topi
from raytune_ms.codegen import codegen_c
from raytune_ms.target import Target
from raytune_ms.testing.design_spaces import AVX2, AVX512, check_numpy, context, replays
from raytune_ms.tir import Block, collect

H = W = 10  # not a multiple of 16 or 8 lanes
CI, CO = 8, 32


def _conv(bias=True, relu=True, stride=1):
    data = te.placeholder((1, CI, H, W), name="data")
    weight = te.placeholder((CO, CI, 3, 3), name="weight")
    args = [data, weight]
    b = None
    if bias:
        b = te.placeholder((CO,), name="bias")
        args.append(b)
    out = topi.conv2d(data, weight, b, stride=stride, padding=1)
    if relu:
        out = topi.relu(out)
    return te.create_prim_func(args + [out])


NCHW_TO_NHWC = '[{"v":0},{"v":2},{"v":3},{"v":1}]'  # the index map's result, as the trace spells it


def _result_shapes(sch):
    """Shape of the convolution's result buffer(s) allocated in the scheduled program."""
    return {tuple(int(d) for d in buf.shape) for blk in collect(sch.mod["main"].body, Block)
            for buf in blk.alloc_buffers if buf.name.startswith("conv2d_nchw")}


def _permutes_the_result(sch):
    return any(inst.kind.name == "TransformLayout" and NCHW_TO_NHWC in str(inst.attrs) for inst in sch.trace.insts)


@pytest.mark.parametrize("target", [AVX512, AVX2])
@pytest.mark.parametrize("stride", [1, 2])
def test_nchw_intermediate_is_laid_out_channels_last(target, stride):
    func = _conv(stride=stride)
    out = (H - 1) // stride + 1
    schedules, _ = replays(context(func, target=target), 6, seed=3)
    assert len(schedules) >= 4
    for sch in schedules:
        assert _permutes_the_result(sch)
        assert "SampleJointCategorical" in [inst.kind.name for inst in sch.trace.insts]
        assert _result_shapes(sch) == {(1, out, out, CO)}
        check_numpy(func, sch, interpreter=False)
    # the epilogue reads the permuted result out of order and is still computed tile by tile
    kinds = [{inst.kind.name for inst in sch.trace.insts} for sch in schedules]
    assert any("ReverseComputeAt" in k and "CacheWrite" not in k for k in kinds)


def test_the_accumulation_is_vectorized_over_the_channels():
    func = _conv(relu=False)
    schedules, _ = replays(context(func, target=AVX512), 8, seed=5)
    packed = [sch for sch in schedules if any(buf.name == "weight_global" for blk in collect(
        sch.mod["main"].body, Block) for buf in blk.alloc_buffers)]
    assert packed, "no replay packed the weight"
    for sch in packed:  # unpacked, the weight is read 72 floats apart across the channels
        src = codegen_c(sch.mod["main"], Target(AVX512))
        body = src[src.index("int32_t fn_main("):]
        # the channel axis is the convolution's iterator i1, its register-tile loop i1_<n>
        assert "/* vectorized: i1_" in body
        scalar = [ln for ln in body.splitlines() if "vectorized loop i1_" in ln and "scalar loop" in ln]
        assert not scalar, scalar
        check_numpy(func, sch, interpreter=False)


def test_a_function_output_keeps_its_layout():
    func = _conv(bias=False, relu=False)  # the convolution writes the function's output
    schedules, _ = replays(context(func, target=AVX512), 4, seed=1)
    for sch in schedules:
        assert not _permutes_the_result(sch)
        check_numpy(func, sch, interpreter=False)


def test_a_fitting_last_axis_is_left_alone():
    data = te.placeholder((1, 16, 16, CI), name="data")  # NHWC: the channels are last already
    weight = te.placeholder((CI, CO), name="weight")
    rc = te.reduce_axis((0, CI), name="rc")
    conv = te.compute((1, 16, 16, CO), lambda n, h, w, o: te.sum(data[n, h, w, rc] * weight[rc, o], axis=[rc]),
                      name="conv2d_nchw")
    func = te.create_prim_func([data, weight, topi.relu(conv)])
    for sch in context(func, target=AVX512).generate_design_space():
        assert not [i for i in sch.trace.insts if i.kind.name == "TransformLayout"]


def test_a_depthwise_convolution_keeps_its_layout():
    # its channels index the data too: vectors over them would gather the data H * W apart
    data = te.placeholder((1, CO, H, W), name="data")
    weight = te.placeholder((CO, 1, 3, 3), name="weight")
    func = te.create_prim_func([data, weight, topi.relu(topi.conv2d(data, weight, None, padding=1, groups=CO))])
    schedules, _ = replays(context(func, target=AVX512), 3, seed=2)
    for sch in schedules:
        assert not _permutes_the_result(sch)
        check_numpy(func, sch, interpreter=False)
