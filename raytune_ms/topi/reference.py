"""numpy references for the operators, computed in float64; each takes the input arrays and
the te builder's parameters as keywords.

Written independently of the te definitions (convolutions loop over kernel taps with strided
slices; the transposed convolution scatters), so a bug in one is not repeated in the other;
tests check these against torch.
"""

from __future__ import annotations

import itertools

import numpy as np


def conv_nd(x, w, stride, padding, dilation=1, groups=1):
    """Channel-last convolution: x (N, *spatial, CI), w (*kernel, CI / groups, CO)."""
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    nsp = x.ndim - 2
    kernel = w.shape[:nsp]
    xp = np.pad(x, [(0, 0)] + [(padding, padding)] * nsp + [(0, 0)])
    out_sp = [(xp.shape[1 + d] - dilation * (kernel[d] - 1) - 1) // stride + 1 for d in range(nsp)]
    ci_g, co = w.shape[-2], w.shape[-1]
    out = np.zeros((x.shape[0], *out_sp, groups, co // groups))
    for tap in itertools.product(*(range(k) for k in kernel)):
        window = tuple(
            slice(t * dilation, t * dilation + stride * (o - 1) + 1, stride) for t, o in zip(tap, out_sp)
        )
        xs = xp[(slice(None), *window, slice(None))].reshape(x.shape[0], *out_sp, groups, ci_g)
        ws = w[tap].reshape(ci_g, groups, co // groups)
        out += np.einsum("...gc,cgo->...go", xs, ws)
    return out.reshape(x.shape[0], *out_sp, co)


def conv1d_nlc(x, w, *, N, L, CI, CO, K, stride, padding, dilation=1, groups=1):
    return [conv_nd(x, w, stride, padding, dilation, groups)]


def conv2d_nhwc(x, w, *, N, H, W, CI, CO, K, stride, padding, dilation=1, groups=1):
    return [conv_nd(x, w, stride, padding, dilation, groups)]


def conv3d_ndhwc(x, w, *, N, D, H, W, CI, CO, K, stride, padding):
    return [conv_nd(x, w, stride, padding)]


def depthwise_conv2d_nhwc(x, w, *, N, H, W, C, K, stride, padding):
    # a depthwise conv is a grouped conv with one channel per group
    return [conv_nd(x, np.asarray(w)[:, :, None, :], stride, padding, groups=C)]


def conv2d_capsule_nhwijc(x, w, *, N, H, W, CI, CO, K, stride, padding, capsule=4):
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    xp = np.pad(x, [(0, 0), (padding, padding), (padding, padding), (0, 0), (0, 0), (0, 0)])
    oh = (H + 2 * padding - K) // stride + 1
    ow = (W + 2 * padding - K) // stride + 1
    out = np.zeros((N, oh, ow, capsule, capsule, CO))
    for kh, kw in itertools.product(range(K), range(K)):
        patch = xp[:, kh : kh + stride * (oh - 1) + 1 : stride, kw : kw + stride * (ow - 1) + 1 : stride]
        out += np.einsum("nhwikc,kjco->nhwijo", patch, w[kh, kw])
    return [out]


def conv2d_transpose_nhwc(x, w, *, N, H, W, CI, CO, K, stride, padding):
    """Scatter every input pixel times the kernel into the output, then crop the padding."""
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    full = np.zeros((N, (H - 1) * stride + K, (W - 1) * stride + K, CO))
    for kh, kw in itertools.product(range(K), range(K)):
        full[:, kh : kh + stride * (H - 1) + 1 : stride, kw : kw + stride * (W - 1) + 1 : stride] += x @ w[kh, kw]
    oh = (H - 1) * stride - 2 * padding + K
    ow = (W - 1) * stride - 2 * padding + K
    return [full[:, padding : padding + oh, padding : padding + ow]]


def conv2d_nhwc_bias_bn_relu(x, w, bias, scale, offset, *, N, H, W, CI, CO, K, stride, padding):
    conv = conv_nd(x, w, stride, padding)
    return [np.maximum((conv + bias) * scale + offset, 0.0)]


def batch_matmul_nkkm(a, b, *, B, N, M, K):
    return [np.matmul(np.asarray(a, np.float64), np.asarray(b, np.float64))]


def gemv(x, w, *, K, N):
    return [np.asarray(x, np.float64) @ np.asarray(w, np.float64)]


def transpose_batch_matmul(query, key, *, batch, seq, heads, dim):
    q = np.asarray(query, np.float64).transpose(0, 2, 1, 3)  # (b, h, seq, dim)
    k = np.asarray(key, np.float64).transpose(0, 2, 3, 1)  # (b, h, dim, seq)
    return [q @ k]


def norm_bmn(a, *, B, M, N):
    a = np.asarray(a, np.float64)
    return [np.sqrt((a * a).sum(axis=(1, 2)))]


def softmax_mn(a, *, M, N):
    a = np.asarray(a, np.float64)
    e = np.exp(a - a.max(axis=1, keepdims=True))
    return [e / e.sum(axis=1, keepdims=True)]


def layer_norm(a, gamma, beta, *, M, N, eps=1e-5):
    a = np.asarray(a, np.float64)
    mean = a.mean(axis=1, keepdims=True)
    var = ((a - mean) ** 2).mean(axis=1, keepdims=True)
    return [(a - mean) / np.sqrt(var + eps) * gamma + beta]
