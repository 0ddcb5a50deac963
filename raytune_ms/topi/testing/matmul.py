"""numpy references (float64) for the matrix products."""

from __future__ import annotations

import numpy as np


def _t(x, transpose):
    x = np.asarray(x, np.float64)
    return np.swapaxes(x, -1, -2) if transpose else x


def matmul(a, b, transpose_a=False, transpose_b=False):
    return np.matmul(_t(a, transpose_a), _t(b, transpose_b))


mm = matmul
bmm = matmul


def linear(x, weight, bias=None):
    out = np.asarray(x, np.float64) @ np.asarray(weight, np.float64).T
    return out if bias is None else out + bias


def addmm(bias, a, b, beta=1, alpha=1, transpose_a=False, transpose_b=False):
    return beta * np.asarray(bias, np.float64) + alpha * matmul(a, b, transpose_a, transpose_b)
