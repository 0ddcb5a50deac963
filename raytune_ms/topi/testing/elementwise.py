"""numpy references (float64) for the element-wise operators."""

from __future__ import annotations

import math

import numpy as np

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _f(x):
    return np.asarray(x, np.float64)


def relu(x):
    return np.maximum(_f(x), 0.0)


def leaky_relu(x, negative_slope=0.01):
    x = _f(x)
    return np.where(x > 0, x, x * negative_slope)


def gelu(x, approximate="none"):
    x = _f(x)
    if approximate == "tanh":
        return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-_f(x)))


def silu(x):
    return _f(x) * sigmoid(x)


def tanh(x):
    return np.tanh(_f(x))


def exp(x):
    return np.exp(_f(x))


def log(x):
    return np.log(_f(x))


def sqrt(x):
    return np.sqrt(_f(x))


def rsqrt(x):
    return 1.0 / np.sqrt(_f(x))


def erf(x):
    return _erf(_f(x))


def abs(x):
    return np.abs(_f(x))


def neg(x):
    return -_f(x)


def clamp(x, min=None, max=None):
    return np.clip(_f(x), min, max)


def add(a, b, alpha=1):
    return _f(a) + alpha * _f(b)


def sub(a, b, alpha=1):
    return _f(a) - alpha * _f(b)


def mul(a, b):
    return _f(a) * _f(b)


def div(a, b):
    return _f(a) / _f(b)


def maximum(a, b):
    return np.maximum(_f(a), _f(b))


def minimum(a, b):
    return np.minimum(_f(a), _f(b))


def pow(a, b):
    return np.power(_f(a), _f(b))
