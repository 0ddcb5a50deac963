"""numpy references of the operators (float64, written independently of the te definitions)
and a helper that builds and runs an operator, for tests and the front end's checks."""

from .attention import scaled_dot_product_attention
from .elementwise import (
    abs,
    add,
    clamp,
    div,
    erf,
    exp,
    gelu,
    leaky_relu,
    log,
    maximum,
    minimum,
    mul,
    neg,
    pow,
    relu,
    rsqrt,
    sigmoid,
    silu,
    sqrt,
    sub,
    tanh,
)
from .matmul import addmm, bmm, linear, matmul, mm
from .nn_conv import conv, conv1d, conv2d, conv_transpose, conv_transpose1d, conv_transpose2d
from .normalization import batch_norm, layer_norm, log_softmax, rms_norm, scale_shift, softmax
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
from .run import run_te
from .transform import (
    broadcast_to,
    cat,
    embedding,
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
