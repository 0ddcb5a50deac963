"""numpy references (float64) for the convolutions, written as loops over kernel taps (strided
slices and einsum) and, for the transposed convolution, as a scatter, independently of the te
definitions' gathers."""

from __future__ import annotations

import itertools

import numpy as np


def _tuple(v, n):
    return (v,) * n if isinstance(v, int) else tuple(v)


def conv(x, w, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """x (N, C, *sp), w (O, C / groups, *k); padding an int, n ints, or (before, after) pairs."""
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    nsp = x.ndim - 2
    kernel = w.shape[2:]
    stride, dilation = _tuple(stride, nsp), _tuple(dilation, nsp)
    if padding == "same":
        total = [d * (k - 1) for k, d in zip(kernel, dilation)]
        pads = [(t // 2, t - t // 2) for t in total]
    elif padding == "valid":
        pads = [(0, 0)] * nsp
    else:
        pads = [(p, p) for p in _tuple(padding, nsp)]
    xp = np.pad(x, [(0, 0), (0, 0)] + pads)
    out_sp = [(xp.shape[2 + d] - dilation[d] * (kernel[d] - 1) - 1) // stride[d] + 1 for d in range(nsp)]
    n, c = x.shape[:2]
    o = w.shape[0]
    cg, og = c // groups, o // groups
    out = np.zeros((n, groups, og, *out_sp))
    wg = w.reshape(groups, og, cg, *kernel)
    for tap in itertools.product(*(range(k) for k in kernel)):
        window = tuple(
            slice(t * d, t * d + s * (os - 1) + 1, s) for t, d, s, os in zip(tap, dilation, stride, out_sp)
        )
        xs = xp[(slice(None), slice(None)) + window].reshape(n, groups, cg, *out_sp)
        ws = wg[(slice(None), slice(None), slice(None)) + tap]  # (g, og, cg)
        out += np.einsum("ngc...,goc->ngo...", xs, ws)
    out = out.reshape(n, o, *out_sp)
    if bias is not None:
        out += np.asarray(bias, np.float64).reshape((o,) + (1,) * nsp)
    return out


conv1d = conv
conv2d = conv


def conv_transpose(x, w, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Scatter: each input pixel times the kernel lands at i * stride + k * dilation - padding."""
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    nsp = x.ndim - 2
    kernel = w.shape[2:]
    stride, padding = _tuple(stride, nsp), _tuple(padding, nsp)
    output_padding, dilation = _tuple(output_padding, nsp), _tuple(dilation, nsp)
    n, c = x.shape[:2]
    og = w.shape[1]
    cg = c // groups
    full_sp = [(s - 1) * st + d * (k - 1) + 1 + op for s, st, d, k, op in
               zip(x.shape[2:], stride, dilation, kernel, output_padding)]
    full = np.zeros((n, groups, og, *full_sp))
    xg = x.reshape(n, groups, cg, *x.shape[2:])
    wg = w.reshape(groups, cg, og, *kernel)
    for tap in itertools.product(*(range(k) for k in kernel)):
        window = tuple(slice(t * d, t * d + st * (s - 1) + 1, st)
                       for t, d, st, s in zip(tap, dilation, stride, x.shape[2:]))
        full[(slice(None),) * 3 + window] += np.einsum("ngc...,gco->ngo...", xg, wg[(slice(None),) * 3 + tap])
    out_sp = [f - 2 * p for f, p in zip(full_sp, padding)]
    crop = tuple(slice(p, p + o) for p, o in zip(padding, out_sp))
    out = full[(slice(None),) * 3 + crop].reshape(n, groups * og, *out_sp)
    if bias is not None:
        out += np.asarray(bias, np.float64).reshape((groups * og,) + (1,) * nsp)
    return out


conv_transpose1d = conv_transpose
conv_transpose2d = conv_transpose
