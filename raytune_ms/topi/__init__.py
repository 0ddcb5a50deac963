"""The operator library: te definitions of the operators common models use, in PyTorch's
layouts and semantics (numpy references in `topi.testing`); the benchmark suite's own layouts
(NHWC convolutions, batch matmuls, norms) are the modules `conv_nhwc`, `dense` and `norm`, with their
numpy references in `reference`."""

from . import conv_nhwc, dense, norm, reference
from .attention import causal_mask, masked_fill, scaled_dot_product_attention
from .broadcast import add, div, maximum, minimum, mul, pow, sub
from .elementwise import (
    abs,
    cast,
    clamp,
    erf,
    exp,
    gelu,
    leaky_relu,
    log,
    neg,
    relu,
    rsqrt,
    sigmoid,
    silu,
    sqrt,
    tanh,
)
from .embedding import embedding
from .matmul import addmm, bmm, linear, matmul, mm
from .nn_conv import conv, conv1d, conv2d, conv_transpose, conv_transpose1d, conv_transpose2d
from .normalization import batch_norm, fold_batch_norm, layer_norm, rms_norm, scale_shift
from .pooling import (
    adaptive_avg_pool,
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    avg_pool,
    avg_pool1d,
    avg_pool2d,
    max_pool,
    max_pool1d,
    max_pool2d,
)
from .reduction import amax, amin, mean, sum
from .softmax import log_softmax, softmax
from .transform import (
    broadcast_to,
    cat,
    expand,
    flatten,
    pad,
    permute,
    reshape,
    select,
    slice,
    squeeze,
    transpose,
    unsqueeze,
    view,
)
