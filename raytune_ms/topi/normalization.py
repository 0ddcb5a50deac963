"""Normalisations: batch norm in inference (statistics folded into a per-channel scale and
shift), layer norm and RMS norm over the trailing dimensions, as torch.nn.functional defines them."""

from __future__ import annotations

import math

import numpy as np

from .. import te
from .shapes import check_dtypes, check_ndim


def fold_batch_norm(running_mean, running_var, weight=None, bias=None, eps: float = 1e-5):
    """(scale, shift) with batch_norm(x) = x * scale + shift, computed once from constant
    statistics (numpy arrays), as a front end does at compile time."""
    mean, var = np.asarray(running_mean, np.float64), np.asarray(running_var, np.float64)
    scale = 1.0 / np.sqrt(var + eps)
    if weight is not None:
        scale = scale * np.asarray(weight, np.float64)
    shift = -mean * scale
    if bias is not None:
        shift = shift + np.asarray(bias, np.float64)
    return scale, shift


def scale_shift(data, scale, shift, axis: int = 1, name: str = "T_scale_shift"):
    """data * scale[c] + shift[c], c the index along `axis` (a folded batch norm)."""
    check_dtypes("scale_shift", data, scale, shift)
    for t in (scale, shift):
        check_ndim(t, 1, "scale_shift", "scale/shift")
        if t.shape[0] != data.shape[axis]:
            raise ValueError(
                f"scale_shift: {t.name!r} {t.shape} for {data.shape[axis]} channels (dim {axis} of {data.shape})"
            )
    return te.compute(data.shape, lambda *idx: data[idx] * scale[idx[axis]] + shift[idx[axis]], name=name)


def batch_norm(data, running_mean, running_var, weight=None, bias=None, eps: float = 1e-5,
               name: str = "T_batch_norm"):
    """Inference batch norm over channel dimension 1 of (N, C, ...): per-channel scale and shift
    blocks (C elements), then one element-wise block."""
    if data.ndim < 2:
        raise ValueError(f"batch_norm: input {data.name!r} {data.shape} needs (N, C, ...)")
    c = data.shape[1]
    for what, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is not None and t.shape != (c,):
            raise ValueError(f"batch_norm: {what} {t.name!r} {t.shape} for {c} channels of {data.name!r} {data.shape}")

    def scale_of(i):
        s = te.rsqrt(running_var[i] + eps)
        return s * weight[i] if weight is not None else s

    scale = te.compute((c,), scale_of, name=f"{name}_scale")

    def shift_of(i):
        s = -running_mean[i] * scale[i]
        return s + bias[i] if bias is not None else s

    shift = te.compute((c,), shift_of, name=f"{name}_shift")
    return scale_shift(data, scale, shift, axis=1, name=name)


def _normalized_dims(data, normalized_shape, op):
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    n = len(normalized_shape)
    if n == 0 or data.shape[data.ndim - n :] != normalized_shape:
        raise ValueError(
            f"{op}: normalized_shape {normalized_shape} is not the trailing shape of {data.name!r} {data.shape}"
        )
    return normalized_shape


def _check_affine(t, shape, op, what):
    if t is not None and t.shape != shape:
        raise ValueError(f"{op}: {what} {t.name!r} has shape {t.shape}, expected {shape}")


def _row_stat(data, n, f, name):
    """Per leading index, the sum over the trailing n dimensions of f(element, leading index)."""
    lead = data.shape[: data.ndim - n]
    rk = [te.reduce_axis(s, f"k{d}") for d, s in enumerate(data.shape[data.ndim - n :])]
    return te.compute(lead, lambda *idx: te.sum(f(data[idx + tuple(rk)], idx), axis=rk), name=name)


def layer_norm(data, normalized_shape, weight=None, bias=None, eps: float = 1e-5, name: str = "T_layer_norm"):
    """(x - mean) / sqrt(var + eps) * weight + bias over the trailing `normalized_shape` (two
    passes: the mean, then the biased variance around it)."""
    shape = _normalized_dims(data, normalized_shape, "layer_norm")
    _check_affine(weight, shape, "layer_norm", "weight")
    _check_affine(bias, shape, "layer_norm", "bias")
    n, inv = len(shape), 1.0 / math.prod(shape)
    mean = _row_stat(data, n, lambda x, idx: x * inv, f"{name}_mean")
    var = _row_stat(data, n, lambda x, idx: (x - mean[idx]) * (x - mean[idx]) * inv, f"{name}_var")
    lead = data.ndim - n

    def element(*idx):
        row, feat = idx[:lead], idx[lead:]
        out = (data[idx] - mean[row]) * te.rsqrt(var[row] + eps)
        if weight is not None:
            out = out * weight[feat]
        if bias is not None:
            out = out + bias[feat]
        return out

    return te.compute(data.shape, element, name=name)


def rms_norm(data, normalized_shape, weight=None, eps=None, name: str = "T_rms_norm"):
    """x / sqrt(mean(x^2) + eps) * weight over the trailing `normalized_shape`; eps None is the
    dtype's machine epsilon, as torch's rms_norm."""
    shape = _normalized_dims(data, normalized_shape, "rms_norm")
    _check_affine(weight, shape, "rms_norm", "weight")
    if eps is None:
        eps = float(np.finfo(data.dtype).eps)
    n, inv = len(shape), 1.0 / math.prod(shape)
    ms = _row_stat(data, n, lambda x, idx: x * x * inv, f"{name}_mean_sq")
    lead = data.ndim - n

    def element(*idx):
        out = data[idx] * te.rsqrt(ms[idx[:lead]] + eps)
        return out * weight[idx[lead:]] if weight is not None else out

    return te.compute(data.shape, element, name=name)
