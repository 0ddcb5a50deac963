"""Pooling over the trailing spatial dimensions, as torch.nn.functional defines it: max and
average pooling (padding, dilation for max, ceil_mode, count_include_pad, divisor_override) and
adaptive average pooling (windows [floor(i*In/Out), ceil((i+1)*In/Out)))."""

from __future__ import annotations

import math

from .. import te, tir
from .shapes import per_dim
from .transform import pad


def _out_size(size, k, st, p, d, ceil_mode):
    span = size + 2 * p - d * (k - 1) - 1
    out = (-(-span // st) if ceil_mode else span // st) + 1
    if ceil_mode and (out - 1) * st >= size + p:  # the last window must start inside the input or left padding
        out -= 1
    return out


def _check(data, nsp, op):
    if data.ndim < nsp + 1:
        raise ValueError(f"{op}: input {data.name!r} {data.shape} needs at least {nsp + 1} dimensions (C, spatial...)")


def _windows(data, kernel_size, stride, padding, dilation, ceil_mode, nsp, op, fill):
    """(padded input, kernel, stride, dilation, output spatial shape, padding) of a pooling."""
    _check(data, nsp, op)
    kernel = per_dim(kernel_size, nsp, "kernel_size", op, minimum=1)
    stride = kernel if stride is None or stride == [] else per_dim(stride, nsp, "stride", op, minimum=1)
    pads = per_dim(padding, nsp, "padding", op)
    dilation = per_dim(dilation, nsp, "dilation", op, minimum=1)
    for p, k, d in zip(pads, kernel, dilation):
        if 2 * p > d * (k - 1) + 1:
            raise ValueError(f"{op}: padding {pads} must be at most half of the (dilated) kernel {kernel}")
    spatial = data.shape[-nsp:]
    out_sp = tuple(_out_size(*a, ceil_mode) for a in zip(spatial, kernel, stride, pads, dilation))
    if any(o <= 0 for o in out_sp):
        raise ValueError(f"{op}: kernel {kernel} is larger than the padded input {spatial} (padding {pads})")
    # ceil_mode windows may run past the right padding: pad enough to keep every read in bounds
    after = tuple(
        max(p, (o - 1) * st + d * (k - 1) + 1 - s - p)
        for o, st, d, k, s, p in zip(out_sp, stride, dilation, kernel, spatial, pads)
    )
    lead = data.ndim - nsp
    padded = data
    if any(pads + after):
        padded = pad(data, (0,) * lead + pads, (0,) * lead + after, value=fill, name="pad_temp")
    return padded, kernel, stride, dilation, out_sp, pads


def max_pool(data, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, nsp=2, name="pool_max"):
    """The maximum of each window; padding is -infinity (never the maximum)."""
    op = f"max_pool{nsp}d"
    padded, kernel, stride, dilation, out_sp, _ = _windows(
        data, kernel_size, stride, padding, dilation, ceil_mode, nsp, op, -math.inf
    )
    lead = data.ndim - nsp
    rk = [te.reduce_axis(k, f"rv{d}") for d, k in enumerate(kernel)]

    def element(*idx):
        pos = tuple(o * st + r * d for o, st, r, d in zip(idx[lead:], stride, rk, dilation))
        return te.max(padded[idx[:lead] + pos], axis=rk)

    return te.compute(data.shape[:lead] + out_sp, element, name=name)


def _divisor_terms(size, k, st, p, out, include_pad):
    """Per output position of one dimension, how many window elements the average counts."""
    counts = []
    for o in range(out):
        lo = o * st - p
        hi = min(lo + k, size + p)
        counts.append(hi - lo if include_pad else min(hi, size) - max(lo, 0))
    return counts


def avg_pool(data, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
             divisor_override=None, nsp=2, name="pool_avg"):
    """The mean of each window (a sum block, then a division by torch's divisor)."""
    op = f"avg_pool{nsp}d"
    padded, kernel, stride, _, out_sp, pads = _windows(data, kernel_size, stride, padding, 1, ceil_mode, nsp, op, 0.0)
    lead = data.ndim - nsp
    rk = [te.reduce_axis(k, f"rv{d}") for d, k in enumerate(kernel)]

    def window_sum(*idx):
        pos = tuple(o * st + r for o, st, r in zip(idx[lead:], stride, rk))
        return te.sum(padded[idx[:lead] + pos], axis=rk)

    total = te.compute(data.shape[:lead] + out_sp, window_sum, name=f"{name}_sum")
    if divisor_override is not None:
        if divisor_override == 0:
            raise ValueError(f"{op}: divisor_override must not be 0")
        return te.compute(total.shape, lambda *idx: total[idx] / float(divisor_override), name=name)
    spatial = data.shape[-nsp:]
    counts = [
        _divisor_terms(s, k, st, p, o, count_include_pad)
        for s, k, st, p, o in zip(spatial, kernel, stride, pads, out_sp)
    ]

    def divisor(idx):
        # a constant per dimension where every window counts alike, else the window's own count
        expr = tir.const(1.0, data.dtype)
        for o, c, st, p, s, k in zip(idx[lead:], counts, stride, pads, spatial, kernel):
            if len(set(c)) == 1:
                expr = expr * float(c[0])
                continue
            lo = o * st - p
            hi = te.min(lo + k, s + p)
            n = hi - lo if count_include_pad else te.min(hi, s) - te.max(lo, 0)
            expr = expr * te.cast(data.dtype, n)
        return expr

    return te.compute(total.shape, lambda *idx: total[idx] / divisor(idx), name=name)


def adaptive_avg_pool(data, output_size, nsp=2, name="adaptive_pool_avg"):
    """The mean of window [floor(i*In/Out), ceil((i+1)*In/Out)) per output position i."""
    op = f"adaptive_avg_pool{nsp}d"
    _check(data, nsp, op)
    lead = data.ndim - nsp
    spatial = data.shape[-nsp:]
    out_sp = tuple(s if o is None else o for o, s in zip(_output_size(output_size, nsp, op), spatial))
    extents = [max(-(-(o + 1) * s // n) - o * s // n for o in range(n)) for s, n in zip(spatial, out_sp)]
    rk = [te.reduce_axis(e, f"rv{d}") for d, e in enumerate(extents)]

    def bounds(o, s, n):
        if s % n == 0:  # equal windows: affine bounds the scheduler can analyse
            return o * (s // n), o * (s // n) + s // n
        return o * s // n, ((o + 1) * s + n - 1) // n

    def window_sum(*idx):
        pos, conds = [], []
        for o, s, n, r in zip(idx[lead:], spatial, out_sp, rk):
            lo, hi = bounds(o, s, n)
            pos.append(lo + r)
            if s % n:  # windows of different sizes: count only the window's own elements
                conds.append(lo + r < hi)
        return te.sum(data[idx[:lead] + tuple(pos)], axis=rk, where=te.all(*conds) if conds else None)

    total = te.compute(data.shape[:lead] + out_sp, window_sum, name=f"{name}_sum")

    def element(*idx):
        count = tir.const(1.0, data.dtype)
        for o, s, n in zip(idx[lead:], spatial, out_sp):
            lo, hi = bounds(o, s, n)
            count = count * (float(s // n) if s % n == 0 else te.cast(data.dtype, hi - lo))
        return total[idx] / count

    return te.compute(total.shape, element, name=name)


def _output_size(value, n, op):
    """An output size: an int or n entries, each an int or None (keep the input's size)."""
    if value is None or isinstance(value, int):
        value = (value,) * n
    value = tuple(value)
    if len(value) != n:
        raise ValueError(f"{op}: output_size must be an int or {n} values, got {value!r}")
    for v in value:
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v <= 0):
            raise ValueError(f"{op}: output_size entries must be positive ints or None, got {value!r}")
    return value


def max_pool1d(data, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, name="pool_max"):
    return max_pool(data, kernel_size, stride, padding, dilation, ceil_mode, nsp=1, name=name)


def max_pool2d(data, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, name="pool_max"):
    return max_pool(data, kernel_size, stride, padding, dilation, ceil_mode, nsp=2, name=name)


def avg_pool1d(data, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, name="pool_avg"):
    return avg_pool(data, kernel_size, stride, padding, ceil_mode, count_include_pad, nsp=1, name=name)


def avg_pool2d(data, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None, name="pool_avg"):
    return avg_pool(data, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, nsp=2,
                    name=name)


def adaptive_avg_pool1d(data, output_size, name="adaptive_pool_avg"):
    return adaptive_avg_pool(data, output_size, nsp=1, name=name)


def adaptive_avg_pool2d(data, output_size, name="adaptive_pool_avg"):
    return adaptive_avg_pool(data, output_size, nsp=2, name=name)
