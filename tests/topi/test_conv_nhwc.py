"""The te convolutions beyond the suite's sizes: odd shapes, strides, paddings, dilations and
groups, built and run against the (torch-checked) numpy references."""

import numpy as np
import pytest

from raytune_ms import te
from raytune_ms.topi import conv_nhwc as conv
from raytune_ms.topi import reference


@pytest.mark.parametrize("K, stride, padding",
                         [(4, 2, 1), (3, 1, 0), (3, 2, 1), (5, 3, 2), (4, 2, 0), (3, 3, 0), (2, 2, 1)])
def test_conv2d_transpose(K, stride, padding, check_op):
    cfg = dict(N=1, H=3, W=5, CI=3, CO=2, K=K, stride=stride, padding=padding)
    check_op(conv.conv2d_transpose_nhwc(**cfg), lambda x, w: reference.conv2d_transpose_nhwc(x, w, **cfg))


@pytest.mark.parametrize("stride, padding, dilation, groups",
                         [(1, 0, 1, 1), (3, 2, 1, 1), (2, 2, 3, 1), (1, 1, 1, 3), (2, 3, 2, 3)])
def test_conv2d(stride, padding, dilation, groups, check_op):
    cfg = dict(N=2, H=9, W=7, CI=6, CO=9, K=3, stride=stride, padding=padding, dilation=dilation, groups=groups)
    check_op(conv.conv2d_nhwc(**cfg), lambda x, w: reference.conv2d_nhwc(x, w, **cfg))


@pytest.mark.parametrize("stride, padding, dilation, groups", [(1, 0, 1, 1), (2, 1, 2, 2)])
def test_conv1d(stride, padding, dilation, groups, check_op):
    cfg = dict(N=1, L=13, CI=4, CO=6, K=3, stride=stride, padding=padding, dilation=dilation, groups=groups)
    check_op(conv.conv1d_nlc(**cfg), lambda x, w: reference.conv1d_nlc(x, w, **cfg))


def test_conv3d_and_depthwise_and_capsule_odd_shapes(check_op):
    c3 = dict(N=1, D=3, H=5, W=4, CI=2, CO=3, K=3, stride=1, padding=1)
    check_op(conv.conv3d_ndhwc(**c3), lambda x, w: reference.conv3d_ndhwc(x, w, **c3))
    dw = dict(N=1, H=7, W=6, C=3, K=5, stride=2, padding=2)
    check_op(conv.depthwise_conv2d_nhwc(**dw), lambda x, w: reference.depthwise_conv2d_nhwc(x, w, **dw))
    cap = dict(N=1, H=5, W=4, CI=3, CO=2, K=3, stride=1, padding=0, capsule=2)
    check_op(conv.conv2d_capsule_nhwijc(**cap), lambda x, w: reference.conv2d_capsule_nhwijc(x, w, **cap))


def test_pad_block_alone(check_op):
    A = te.placeholder((2, 3), name="A")
    P = conv.pad(A, (1, 0), (2, 3))
    check_op([A, P], lambda a: [np.pad(a, [(1, 2), (0, 3)])])
