"""conv1d/conv2d (stride, padding incl. 'same', dilation, groups, depthwise with a channel
multiplier, bias) and conv_transpose1d/2d (stride, padding, output_padding, groups, dilation),
against the numpy references and torch.nn.functional."""

import pytest
import torch.nn.functional as F

from raytune_ms import te, topi
from raytune_ms.testing.operators import check, rand
from raytune_ms.topi import testing as ref

CONV2D = [
    dict(stride=1, padding=0, dilation=1, groups=1),
    dict(stride=2, padding=1, dilation=1, groups=1),
    dict(stride=(2, 1), padding=(0, 2), dilation=(1, 2), groups=1),
    dict(stride=1, padding=1, dilation=2, groups=2),
    dict(stride=2, padding=1, dilation=1, groups=6),  # depthwise, channel multiplier 2 (12 outputs)
]


@pytest.mark.parametrize("cfg", CONV2D)
def test_conv2d(cfg):
    x = rand(2, 6, 9, 8, seed=1)
    w = rand(12, 6 // cfg["groups"], 3, 3, seed=2)
    b = rand(12, seed=3)
    check(topi.conv2d, ref.conv2d, lambda x, w, b: F.conv2d(x, w, b, **cfg), x, w, b, rtol=1e-4, atol=1e-5, **cfg)


@pytest.mark.filterwarnings("ignore:Using padding=.same.")
def test_conv2d_same_padding_no_bias_rectangular_kernel():
    x, w = rand(1, 3, 7, 6, seed=1), rand(4, 3, 4, 3, seed=2)
    check(topi.conv2d, ref.conv2d, lambda x, w: F.conv2d(x, w, padding="same", dilation=(1, 2)), x, w,
          rtol=1e-4, padding="same", dilation=(1, 2))


@pytest.mark.parametrize("cfg", [dict(stride=1, padding=0, dilation=1, groups=1),
                                 dict(stride=2, padding=2, dilation=2, groups=2),
                                 dict(stride=1, padding=1, dilation=1, groups=4)])
def test_conv1d(cfg):
    x, w, b = rand(2, 4, 13, seed=1), rand(8, 4 // cfg["groups"], 3, seed=2), rand(8, seed=3)
    check(topi.conv1d, ref.conv1d, lambda x, w, b: F.conv1d(x, w, b, **cfg), x, w, b, rtol=1e-4, **cfg)


CONVT2D = [
    dict(stride=1, padding=0, output_padding=0, groups=1, dilation=1),
    dict(stride=2, padding=1, output_padding=1, groups=1, dilation=1),
    dict(stride=(3, 2), padding=(2, 0), output_padding=(1, 0), groups=1, dilation=1),
    dict(stride=2, padding=1, output_padding=0, groups=2, dilation=2),
    dict(stride=1, padding=3, output_padding=0, groups=1, dilation=1),  # padding beyond the kernel: a crop
]


@pytest.mark.parametrize("cfg", CONVT2D)
def test_conv_transpose2d(cfg):
    x = rand(2, 4, 5, 4, seed=1)
    w = rand(4, 6 // cfg["groups"], 3, 4, seed=2)
    b = rand(6, seed=3)
    check(topi.conv_transpose2d, ref.conv_transpose2d, lambda x, w, b: F.conv_transpose2d(x, w, b, **cfg),
          x, w, b, rtol=1e-4, atol=1e-5, **cfg)


def test_conv_transpose1d():
    cfg = dict(stride=3, padding=1, output_padding=2)
    x, w = rand(1, 3, 6, seed=1), rand(3, 2, 4, seed=2)
    check(topi.conv_transpose1d, ref.conv_transpose1d, lambda x, w: F.conv_transpose1d(x, w, **cfg), x, w,
          rtol=1e-4, **cfg)


def test_shape_errors():
    x = te.placeholder((1, 6, 8, 8), name="x")
    with pytest.raises(ValueError, match=r"conv2d: data 'x' \(1, 6, 8, 8\) has 6 channels but weight 'w' .* "
                                         r"expects 4 per group x 1 groups = 4"):
        topi.conv2d(x, te.placeholder((8, 4, 3, 3), name="w"))
    with pytest.raises(ValueError, match="not divisible by groups 4"):
        topi.conv2d(x, te.placeholder((8, 2, 3, 3), name="w"), groups=4)
    with pytest.raises(ValueError, match="conv2d: kernel .* is larger than the padded input"):
        topi.conv2d(x, te.placeholder((2, 6, 9, 9), name="w"))
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        topi.conv2d(x, te.placeholder((2, 6, 3, 3), name="w"), stride=2, padding="same")
    with pytest.raises(ValueError, match="conv2d: bias 'b' .* for 2 output channels"):
        topi.conv2d(x, te.placeholder((2, 6, 3, 3), name="w"), te.placeholder((3,), name="b"))
    with pytest.raises(ValueError, match="conv_transpose2d: data 'x' .* has 6 channels but weight 'wt'"):
        topi.conv_transpose2d(x, te.placeholder((4, 2, 3, 3), name="wt"))
    with pytest.raises(ValueError, match="output_padding .* must be smaller than stride"):
        topi.conv_transpose2d(x, te.placeholder((6, 2, 3, 3), name="wt"), stride=2, output_padding=2)
    with pytest.raises(ValueError, match="conv2d: stride must be >= 1"):
        topi.conv2d(x, te.placeholder((2, 6, 3, 3), name="w"), stride=0)
