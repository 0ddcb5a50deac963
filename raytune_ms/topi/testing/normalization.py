"""numpy references (float64) for the normalisations and softmax."""

from __future__ import annotations

import numpy as np


def _f(x):
    return np.asarray(x, np.float64)


def batch_norm(x, running_mean, running_var, weight=None, bias=None, eps=1e-5):
    x = _f(x)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    out = (x - _f(running_mean).reshape(shape)) / np.sqrt(_f(running_var).reshape(shape) + eps)
    if weight is not None:
        out = out * _f(weight).reshape(shape)
    if bias is not None:
        out = out + _f(bias).reshape(shape)
    return out


def scale_shift(x, scale, shift, axis=1):
    x = _f(x)
    shape = [1] * x.ndim
    shape[axis] = -1
    return x * _f(scale).reshape(shape) + _f(shift).reshape(shape)


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    x = _f(x)
    n = 1 if isinstance(normalized_shape, int) else len(normalized_shape)
    axes = tuple(range(x.ndim - n, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    out = (x - mean) / np.sqrt(var + eps)
    if weight is not None:
        out = out * _f(weight)
    if bias is not None:
        out = out + _f(bias)
    return out


def rms_norm(x, normalized_shape, weight=None, eps=None):
    x64 = _f(x)
    n = 1 if isinstance(normalized_shape, int) else len(normalized_shape)
    if eps is None:
        eps = float(np.finfo(np.asarray(x).dtype).eps)
    axes = tuple(range(x64.ndim - n, x64.ndim))
    out = x64 / np.sqrt((x64 * x64).mean(axis=axes, keepdims=True) + eps)
    return out if weight is None else out * _f(weight)


def softmax(x, axis=-1):
    x = _f(x)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    x = _f(x)
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
