"""numpy references (float64) for pooling: an explicit loop over output positions, each window's
bounds clipped as torch's kernels clip them."""

from __future__ import annotations

import itertools
import math

import numpy as np


def _tuple(v, n):
    return (v,) * n if isinstance(v, int) else tuple(v)


def _out(size, k, st, p, d, ceil_mode):
    span = size + 2 * p - d * (k - 1) - 1
    out = (math.ceil(span / st) if ceil_mode else span // st) + 1
    if ceil_mode and (out - 1) * st >= size + p:
        out -= 1
    return out


def _pool(x, nsp, kernel_size, stride, padding, dilation, ceil_mode, reduce_window):
    x = np.asarray(x, np.float64)
    kernel = _tuple(kernel_size, nsp)
    stride = kernel if stride is None else _tuple(stride, nsp)
    padding, dilation = _tuple(padding, nsp), _tuple(dilation, nsp)
    spatial = x.shape[-nsp:]
    out_sp = [_out(*a, ceil_mode) for a in zip(spatial, kernel, stride, padding, dilation)]
    out = np.zeros(x.shape[:-nsp] + tuple(out_sp))
    for pos in itertools.product(*(range(o) for o in out_sp)):
        starts = [o * st - p for o, st, p in zip(pos, stride, padding)]
        out[(Ellipsis,) + pos] = reduce_window(x, starts, kernel, dilation, spatial, padding)
    return out


def max_pool(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, nsp=2):
    def window(x, starts, kernel, dilation, spatial, padding):
        idx = []
        for s0, k, d, size in zip(starts, kernel, dilation, spatial):
            taps = [s0 + t * d for t in range(k)]
            idx.append([t for t in taps if 0 <= t < size])
        sub = x[(Ellipsis,) + np.ix_(*idx)] if nsp > 1 else x[..., idx[0]]
        return sub.reshape(x.shape[:-nsp] + (-1,)).max(axis=-1)

    return _pool(x, nsp, kernel_size, stride, padding, dilation, ceil_mode, window)


def avg_pool(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
             divisor_override=None, nsp=2):
    def window(x, starts, kernel, dilation, spatial, padding):
        lo = [max(s0, 0) for s0 in starts]
        hi = [min(s0 + k, size) for s0, k, size in zip(starts, kernel, spatial)]
        sub = x[(Ellipsis,) + tuple(slice(a, b) for a, b in zip(lo, hi))]
        total = sub.reshape(x.shape[:-nsp] + (-1,)).sum(axis=-1)
        if divisor_override is not None:
            return total / divisor_override
        if count_include_pad:
            count = math.prod(min(s0 + k, size + p) - s0 for s0, k, size, p in zip(starts, kernel, spatial, padding))
        else:
            count = math.prod(b - a for a, b in zip(lo, hi))
        return total / count

    return _pool(x, nsp, kernel_size, stride, padding, 1, ceil_mode, window)


def adaptive_avg_pool(x, output_size, nsp=2):
    x = np.asarray(x, np.float64)
    spatial = x.shape[-nsp:]
    out_sp = [s if o is None else o for o, s in zip(_tuple(output_size, nsp), spatial)]
    out = np.zeros(x.shape[:-nsp] + tuple(out_sp))
    for pos in itertools.product(*(range(o) for o in out_sp)):
        win = tuple(slice(i * s // n, math.ceil((i + 1) * s / n)) for i, s, n in zip(pos, spatial, out_sp))
        sub = x[(Ellipsis,) + win]
        out[(Ellipsis,) + pos] = sub.reshape(x.shape[:-nsp] + (-1,)).mean(axis=-1)
    return out


def max_pool1d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    return max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, nsp=1)


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    return max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, nsp=2)


def avg_pool1d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    return avg_pool(x, kernel_size, stride, padding, ceil_mode, count_include_pad, nsp=1)


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    return avg_pool(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, nsp=2)


def adaptive_avg_pool1d(x, output_size):
    return adaptive_avg_pool(x, output_size, nsp=1)


def adaptive_avg_pool2d(x, output_size):
    return adaptive_avg_pool(x, output_size, nsp=2)
