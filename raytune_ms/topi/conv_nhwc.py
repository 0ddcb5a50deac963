"""The convolution operators as te programs (channel-last layouts, batch first).

Padding is its own block ("pad_temp", an if_then_else over the border) as TVM's topi writes it,
so the tuner decides whether to inline it. Every function returns the PrimFunc's tensors:
inputs first, the output last.
"""

from __future__ import annotations

from .. import te, tir
from .transform import pad


def out_size(size: int, kernel: int, stride: int, pad: int, dilation: int = 1) -> int:
    return (size + 2 * pad - dilation * (kernel - 1) - 1) // stride + 1


def _as(dtype, x):
    """`x` cast to `dtype` when it differs (an accumulation wider than the inputs)."""
    return x if x.dtype == dtype else te.cast(dtype, x)


def _group_channel(co, rc, ci_per_group: int, co_per_group: int, groups: int):
    """The input channel that output channel `co` reads at reduction step `rc`."""
    return rc if groups == 1 else co // co_per_group * ci_per_group + rc


def conv1d_nlc(N, L, CI, CO, K, stride, padding, dilation=1, groups=1):
    data = te.placeholder((N, L, CI), name="inputs")
    weight = te.placeholder((K, CI // groups, CO), name="weight")
    padded = pad(data, (0, padding, 0), (0, padding, 0), name="pad_temp")
    rl = te.reduce_axis(K, "rl")
    rc = te.reduce_axis(CI // groups, "rc")
    ol = out_size(L, K, stride, padding, dilation)
    out = te.compute(
        (N, ol, CO),
        lambda n, l, co: te.sum(
            padded[n, l * stride + rl * dilation, _group_channel(co, rc, CI // groups, CO // groups, groups)]
            * weight[rl, rc, co],
            axis=[rl, rc],
        ),
        name="conv1d_nlc",
    )
    return [data, weight, out]


def conv2d_nhwc(N, H, W, CI, CO, K, stride, padding, dilation=1, groups=1, dtype="float32", out_dtype=None):
    """C2D, DIL (dilation) and GRP (groups); weight is (KH, KW, CI / groups, CO); inputs of
    `dtype` accumulated in `out_dtype` (default the same)."""
    out_dtype = out_dtype or dtype
    data = te.placeholder((N, H, W, CI), name="inputs", dtype=dtype)
    weight = te.placeholder((K, K, CI // groups, CO), name="weight", dtype=dtype)
    padded = pad(data, (0, padding, padding, 0), (0, padding, padding, 0), name="pad_temp")
    rh = te.reduce_axis(K, "rh")
    rw = te.reduce_axis(K, "rw")
    rc = te.reduce_axis(CI // groups, "rc")
    oh = out_size(H, K, stride, padding, dilation)
    ow = out_size(W, K, stride, padding, dilation)
    out = te.compute(
        (N, oh, ow, CO),
        lambda n, h, w, co: te.sum(
            _as(out_dtype, padded[
                n,
                h * stride + rh * dilation,
                w * stride + rw * dilation,
                _group_channel(co, rc, CI // groups, CO // groups, groups),
            ])
            * _as(out_dtype, weight[rh, rw, rc, co]),
            axis=[rh, rw, rc],
        ),
        name="conv2d_nhwc",
    )
    return [data, weight, out]


def conv3d_ndhwc(N, D, H, W, CI, CO, K, stride, padding):
    data = te.placeholder((N, D, H, W, CI), name="inputs")
    weight = te.placeholder((K, K, K, CI, CO), name="weight")
    padded = pad(data, (0, padding, padding, padding, 0), (0, padding, padding, padding, 0), name="pad_temp")
    rd = te.reduce_axis(K, "rd")
    rh = te.reduce_axis(K, "rh")
    rw = te.reduce_axis(K, "rw")
    rc = te.reduce_axis(CI, "rc")
    od, oh, ow = (out_size(s, K, stride, padding) for s in (D, H, W))
    out = te.compute(
        (N, od, oh, ow, CO),
        lambda n, d, h, w, co: te.sum(
            padded[n, d * stride + rd, h * stride + rh, w * stride + rw, rc] * weight[rd, rh, rw, rc, co],
            axis=[rd, rh, rw, rc],
        ),
        name="conv3d_ndhwc",
    )
    return [data, weight, out]


def depthwise_conv2d_nhwc(N, H, W, C, K, stride, padding):
    """One KxK filter per channel; weight is (KH, KW, C)."""
    data = te.placeholder((N, H, W, C), name="inputs")
    weight = te.placeholder((K, K, C), name="weight")
    padded = pad(data, (0, padding, padding, 0), (0, padding, padding, 0), name="pad_temp")
    rh = te.reduce_axis(K, "rh")
    rw = te.reduce_axis(K, "rw")
    oh, ow = out_size(H, K, stride, padding), out_size(W, K, stride, padding)
    out = te.compute(
        (N, oh, ow, C),
        lambda n, h, w, c: te.sum(
            padded[n, h * stride + rh, w * stride + rw, c] * weight[rh, rw, c], axis=[rh, rw]
        ),
        name="depthwise_conv2d_nhwc",
    )
    return [data, weight, out]


def conv2d_capsule_nhwijc(N, H, W, CI, CO, K, stride, padding, capsule=4):
    """Capsule convolution: every pixel holds a capsule x capsule pose matrix per channel; the
    window's pose matrices multiply the weights' (i,k) x (k,j), summed over window and channels.
    Input (N, H, W, cap, cap, CI), weight (KH, KW, cap, cap, CI, CO)."""
    data = te.placeholder((N, H, W, capsule, capsule, CI), name="inputs")
    weight = te.placeholder((K, K, capsule, capsule, CI, CO), name="weight")
    padded = pad(data, (0, padding, padding, 0, 0, 0), (0, padding, padding, 0, 0, 0), name="pad_temp")
    rh = te.reduce_axis(K, "rh")
    rw = te.reduce_axis(K, "rw")
    rk = te.reduce_axis(capsule, "cap_k")
    rc = te.reduce_axis(CI, "rc")
    oh, ow = out_size(H, K, stride, padding), out_size(W, K, stride, padding)
    out = te.compute(
        (N, oh, ow, capsule, capsule, CO),
        lambda n, h, w, cap_i, cap_j, co: te.sum(
            padded[n, h * stride + rh, w * stride + rw, cap_i, rk, rc] * weight[rh, rw, rk, cap_j, rc, co],
            axis=[rh, rw, rk, rc],
        ),
        name="conv2d_capsule_nhwijc",
    )
    return [data, weight, out]


def conv2d_transpose_nhwc(N, H, W, CI, CO, K, stride, padding):
    """Transposed convolution: out[n, h*s - p + kh, w*s - p + kw, co] += x[n, h, w, ci] *
    weight[kh, kw, ci, co].

    Computed as a gather: the input is padded (its own block), and each output reads the
    stride-dilated input through an if_then_else that skips the dilation holes, with the
    kernel flipped.
    """
    data = te.placeholder((N, H, W, CI), name="inputs")
    weight = te.placeholder((K, K, CI, CO), name="weight")
    oh = (H - 1) * stride - 2 * padding + K
    ow = (W - 1) * stride - 2 * padding + K
    front = K - 1 - padding  # zeros before the first input in the dilated, padded input
    before = -(-front // stride)  # input rows of padding covering them
    border = before * stride - front  # offset of output row 0 in the padded, dilated grid
    after_h = (oh - 1 + K - 1 + border) // stride + 1 - H - before
    after_w = (ow - 1 + K - 1 + border) // stride + 1 - W - before
    padded = pad(data, (0, before, before, 0), (0, max(after_h, 0), max(after_w, 0), 0), name="pad_temp")
    rh = te.reduce_axis(K, "rh")
    rw = te.reduce_axis(K, "rw")
    rc = te.reduce_axis(CI, "rc")

    def dilated(n, y, x, c):
        on_grid = te.all(tir.eq(y % stride, 0), tir.eq(x % stride, 0))
        return te.if_then_else(on_grid, padded[n, y // stride, x // stride, c], 0.0)

    out = te.compute(
        (N, oh, ow, CO),
        lambda n, h, w, co: te.sum(
            dilated(n, h + rh + border, w + rw + border, rc) * weight[K - 1 - rh, K - 1 - rw, rc, co],
            axis=[rh, rw, rc],
        ),
        name="conv2d_transpose_nhwc",
    )
    return [data, weight, out]


def conv2d_nhwc_bias_bn_relu(N, H, W, CI, CO, K, stride, padding):
    """CBR: pad, conv2d, + bias, batch norm folded to a per-channel scale and offset, relu."""
    data, weight, conv = conv2d_nhwc(N, H, W, CI, CO, K, stride, padding)
    bias = te.placeholder((CO,), name="bias")
    scale = te.placeholder((CO,), name="bn_scale")
    offset = te.placeholder((CO,), name="bn_offset")
    biased = te.compute(conv.shape, lambda n, h, w, co: conv[n, h, w, co] + bias[co], name="bias_add")
    normed = te.compute(
        conv.shape, lambda n, h, w, co: biased[n, h, w, co] * scale[co] + offset[co], name="bn"
    )
    out = te.compute(conv.shape, lambda n, h, w, co: te.max(normed[n, h, w, co], 0.0), name="relu")
    return [data, weight, bias, scale, offset, out]
