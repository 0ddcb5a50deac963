"""Convolutions in PyTorch's layouts: conv1d/conv2d (data NC[H]W, weight (O, C / groups, K...))
with stride, padding (ints, per side via pad, "valid", "same"), dilation and groups (depthwise
is groups = C, with any channel multiplier), and conv_transpose1d/2d (weight (C, O / groups, K...))
with output_padding.

Padding is its own block (as the suite's convolutions write it) and bias its own element-wise
block after the reduction, so the tuner sees anchor + epilogue.
"""

from __future__ import annotations

from .. import te, tir
from .shapes import check_dtypes, check_ndim, per_dim
from .transform import pad


def _padding(padding, kernel, dilation, stride, op):
    """(before, after) per spatial dimension."""
    n = len(kernel)
    if padding == "valid":
        return (0,) * n, (0,) * n
    if padding == "same":
        if any(s != 1 for s in stride):
            raise ValueError(f"{op}: padding='same' needs stride 1, got stride {stride}")
        total = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple(t // 2 for t in total), tuple(t - t // 2 for t in total)
    p = per_dim(padding, n, "padding", op)
    return p, p


def _check_conv(data, weight, groups, stride, dilation, transposed):
    """(op name, kernel, stride, dilation) of a valid convolution."""
    nsp = data.ndim - 2
    op = f"conv_transpose{nsp}d" if transposed else f"conv{nsp}d"
    if not 1 <= nsp <= 3:
        raise ValueError(f"{op}: data {data.name!r} {data.shape} must have 3 to 5 dimensions (N, C, spatial...)")
    check_ndim(weight, nsp + 2, op, "weight")
    check_dtypes(op, data, weight)
    if isinstance(groups, bool) or not isinstance(groups, int) or groups <= 0:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    c = data.shape[1]
    if c % groups:
        raise ValueError(f"{op}: {c} input channels of {data.name!r} {data.shape} are not divisible by groups {groups}")
    if transposed:
        if weight.shape[0] != c:
            raise ValueError(
                f"{op}: data {data.name!r} {data.shape} has {c} channels but weight {weight.name!r} "
                f"{weight.shape} has {weight.shape[0]} input channels (dim 0)"
            )
    else:
        if weight.shape[1] * groups != c:
            raise ValueError(
                f"{op}: data {data.name!r} {data.shape} has {c} channels but weight {weight.name!r} "
                f"{weight.shape} expects {weight.shape[1]} per group x {groups} groups = {weight.shape[1] * groups}"
            )
        if weight.shape[0] % groups:
            raise ValueError(f"{op}: {weight.shape[0]} output channels are not divisible by groups {groups}")
    stride = per_dim(stride, nsp, "stride", op, minimum=1)
    dilation = per_dim(dilation, nsp, "dilation", op, minimum=1)
    return op, weight.shape[2:], stride, dilation


def _reduce_axes(ci_per_group, kernel):
    """The input-channel reduce axis and one per kernel dimension (rd, rh, rw as trailing)."""
    names = "dhw"[3 - len(kernel) :]
    return te.reduce_axis(ci_per_group, "rc"), [te.reduce_axis(k, f"r{n}") for n, k in zip(names, kernel)]


def _add_bias(out, bias, op, name):
    if bias is None:
        return out
    check_ndim(bias, 1, op, "bias")
    if bias.shape[0] != out.shape[1]:
        raise ValueError(f"{op}: bias {bias.name!r} {bias.shape} for {out.shape[1]} output channels")
    return te.compute(out.shape, lambda n, c, *sp: out[(n, c, *sp)] + bias[c], name=f"{name}_bias")


def conv(data, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1, name: str = "conv"):
    """Convolution over the trailing len(data.shape) - 2 dimensions (1, 2 or 3), torch's conv{n}d."""
    op, kernel, stride, dilation = _check_conv(data, weight, groups, stride, dilation, transposed=False)
    nsp = len(kernel)
    before, after = _padding(padding, kernel, dilation, stride, op)
    spatial = data.shape[2:]
    out_sp = tuple(
        (s + b + a - d * (k - 1) - 1) // st + 1
        for s, b, a, d, k, st in zip(spatial, before, after, dilation, kernel, stride)
    )
    if any(o <= 0 for o in out_sp):
        raise ValueError(
            f"{op}: kernel {kernel} (dilation {dilation}) is larger than the padded input {spatial} "
            f"(padding {before}/{after})"
        )
    padded = data if not any(before + after) else pad(data, (0, 0) + before, (0, 0) + after, name="pad_temp")
    ci_g, co_g = weight.shape[1], weight.shape[0] // groups
    rc, rk = _reduce_axes(ci_g, kernel)

    def element(n, co, *sp):
        ci = rc if groups == 1 else co // co_g * ci_g + rc
        pos = tuple(o * st + r * d for o, st, r, d in zip(sp, stride, rk, dilation))
        return te.sum(padded[(n, ci) + pos] * weight[(co, rc) + tuple(rk)], axis=[rc] + rk)

    out = te.compute((data.shape[0], weight.shape[0]) + out_sp, element, name=f"{name}{nsp}d_nc{'dhw'[3 - nsp:]}")
    return _add_bias(out, bias, op, name)


def conv1d(data, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1, name: str = "conv"):
    check_ndim(data, 3, "conv1d", "data")
    return conv(data, weight, bias, stride, padding, dilation, groups, name)


def conv2d(data, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1, name: str = "conv"):
    check_ndim(data, 4, "conv2d", "data")
    return conv(data, weight, bias, stride, padding, dilation, groups, name)


def conv_transpose(data, weight, bias=None, stride=1, padding=0, output_padding=0, groups: int = 1, dilation=1,
                   name: str = "conv_transpose"):
    """Transposed convolution (torch's conv_transpose{n}d argument order).

    A gather: the input spread on a stride grid with zeros between and around it (its own block),
    convolved with the flipped kernel at stride 1.
    """
    op, kernel, stride, dilation = _check_conv(data, weight, groups, stride, dilation, transposed=True)
    nsp = len(kernel)
    pads = per_dim(padding, nsp, "padding", op)
    out_pad = per_dim(output_padding, nsp, "output_padding", op)
    for op_, st, d in zip(out_pad, stride, dilation):
        if op_ >= max(st, d):
            raise ValueError(
                f"{op}: output_padding {out_pad} must be smaller than stride {stride} or dilation {dilation}"
            )
    spatial = data.shape[2:]
    out_sp = tuple(
        (s - 1) * st - 2 * p + d * (k - 1) + o + 1
        for s, st, p, d, k, o in zip(spatial, stride, pads, dilation, kernel, out_pad)
    )
    if any(o <= 0 for o in out_sp):
        raise ValueError(f"{op}: padding {pads} leaves no output for input {spatial} and kernel {kernel}")
    front = tuple(d * (k - 1) - p for d, k, p in zip(dilation, kernel, pads))  # zeros before input row 0
    grid_sp = tuple(o + d * (k - 1) for o, d, k in zip(out_sp, dilation, kernel))

    def spread(n, c, *ys):
        src, on_grid = [], []
        for y, f, st, s in zip(ys, front, stride, spatial):
            shifted = y - f
            src.append(shifted // st)
            # shifted < s * st (not shifted // st < s): a bound on the loop variable itself, which
            # the out-of-bounds check of create_prim_func can narrow the read's range with
            on_grid += [shifted >= 0, shifted < s * st] + ([tir.eq(shifted % st, 0)] if st > 1 else [])
        return te.if_then_else(te.all(*on_grid), data[(n, c) + tuple(src)], 0.0)

    grid = te.compute((data.shape[0], data.shape[1]) + grid_sp, spread, name="dilate_pad")
    ci_g, co_g = data.shape[1] // groups, weight.shape[1]
    rc, rk = _reduce_axes(ci_g, kernel)

    def element(n, co, *sp):
        ci = rc if groups == 1 else co // co_g * ci_g + rc
        pos = tuple(o + r * d for o, r, d in zip(sp, rk, dilation))
        flipped = tuple(k - 1 - r for k, r in zip(kernel, rk))
        oc = co if groups == 1 else co % co_g
        return te.sum(grid[(n, ci) + pos] * weight[(ci, oc) + flipped], axis=[rc] + rk)

    out = te.compute((data.shape[0], co_g * groups) + out_sp, element, name=f"{name}{nsp}d_nc{'dhw'[3 - nsp:]}")
    return _add_bias(out, bias, op, name)


def conv_transpose1d(data, weight, bias=None, stride=1, padding=0, output_padding=0, groups: int = 1, dilation=1,
                     name: str = "conv_transpose"):
    check_ndim(data, 3, "conv_transpose1d", "data")
    return conv_transpose(data, weight, bias, stride, padding, output_padding, groups, dilation, name)


def conv_transpose2d(data, weight, bias=None, stride=1, padding=0, output_padding=0, groups: int = 1, dilation=1,
                     name: str = "conv_transpose"):
    check_ndim(data, 4, "conv_transpose2d", "data")
    return conv_transpose(data, weight, bias, stride, padding, output_padding, groups, dilation, name)
