"""The operator library: te definitions of tensor operators, each with a numpy reference in
`topi.reference` (the benchmark suite and the front ends build on it)."""

from . import reference
from .conv import (
    conv1d_nlc,
    conv2d_capsule_nhwijc,
    conv2d_nhwc,
    conv2d_nhwc_bias_bn_relu,
    conv2d_transpose_nhwc,
    conv3d_ndhwc,
    depthwise_conv2d_nhwc,
    out_size,
    pad,
)
from .dense import batch_matmul_nkkm, gemv, transpose_batch_matmul
from .norm import layer_norm, norm_bmn, softmax_mn

__all__ = [
    "batch_matmul_nkkm", "conv1d_nlc", "conv2d_capsule_nhwijc", "conv2d_nhwc", "conv2d_nhwc_bias_bn_relu",
    "conv2d_transpose_nhwc", "conv3d_ndhwc", "depthwise_conv2d_nhwc", "gemv", "layer_norm", "norm_bmn", "out_size",
    "pad", "reference", "softmax_mn", "transpose_batch_matmul",
]
