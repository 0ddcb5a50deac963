"""max/avg pooling (stride, padding, dilation, ceil_mode, count_include_pad, divisor_override)
and adaptive average pooling (even and uneven windows), against numpy and torch."""

import pytest
import torch.nn.functional as F

from raytune_ms import te, topi
from raytune_ms.testing.operators import check, rand
from raytune_ms.topi import testing as ref

MAX2D = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(3, 2), stride=(1, 2), padding=(1, 0), dilation=(2, 1)),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
]


@pytest.mark.parametrize("cfg", MAX2D)
def test_max_pool2d(cfg):
    x = rand(2, 3, 9, 8, seed=1)
    check(topi.max_pool2d, ref.max_pool2d, lambda x: F.max_pool2d(x, **cfg), x, **cfg)


AVG2D = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 1), ceil_mode=True),
    dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 1), ceil_mode=True, count_include_pad=False),
    dict(kernel_size=3, stride=1, padding=1, divisor_override=5),
]


@pytest.mark.parametrize("cfg", AVG2D)
def test_avg_pool2d(cfg):
    x = rand(1, 3, 9, 8, seed=2)
    check(topi.avg_pool2d, ref.avg_pool2d, lambda x: F.avg_pool2d(x, **cfg), x, **cfg)


def test_pool1d_and_unbatched():
    x = rand(2, 3, 11, seed=3)
    cfg = dict(kernel_size=3, stride=2, padding=1)
    check(topi.max_pool1d, ref.max_pool1d, lambda x: F.max_pool1d(x, **cfg), x, **cfg)
    check(topi.avg_pool1d, ref.avg_pool1d, lambda x: F.avg_pool1d(x, **cfg, count_include_pad=False), x,
          count_include_pad=False, **cfg)
    x3 = rand(3, 6, 6, seed=4)  # (C, H, W)
    check(topi.max_pool2d, ref.max_pool2d, lambda x: F.max_pool2d(x, 2), x3, kernel_size=2)


@pytest.mark.parametrize("in_hw, out_hw", [((8, 6), (4, 3)), ((7, 5), (3, 2)), ((5, 5), (1, 1)), ((6, 7), (6, None))])
def test_adaptive_avg_pool2d(in_hw, out_hw):
    x = rand(2, 3, *in_hw, seed=5)
    check(topi.adaptive_avg_pool2d, ref.adaptive_avg_pool2d, lambda x: F.adaptive_avg_pool2d(x, out_hw), x,
          output_size=out_hw)


def test_adaptive_avg_pool1d():
    x = rand(1, 2, 10, seed=6)
    check(topi.adaptive_avg_pool1d, ref.adaptive_avg_pool1d, lambda x: F.adaptive_avg_pool1d(x, 4), x, output_size=4)


def test_errors():
    x = te.placeholder((1, 2, 5, 5), name="x")
    with pytest.raises(ValueError, match="max_pool2d: padding .* at most half"):
        topi.max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="avg_pool2d: kernel .* is larger than the padded input"):
        topi.avg_pool2d(x, 7)
    with pytest.raises(ValueError, match="max_pool2d: kernel_size must be an int or 2 ints"):
        topi.max_pool2d(x, (2, 2, 2))
    with pytest.raises(ValueError, match="adaptive_avg_pool2d: output_size entries must be positive"):
        topi.adaptive_avg_pool2d(x, (0, 2))
    with pytest.raises(ValueError, match="max_pool2d: input 'v' .* needs at least 3 dimensions"):
        topi.max_pool2d(te.placeholder((4, 4), name="v"), 2)
