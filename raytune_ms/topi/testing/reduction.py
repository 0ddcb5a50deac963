"""numpy references (float64) for the reductions."""

from __future__ import annotations

import numpy as np


def _axes(axis):
    return tuple(axis) if isinstance(axis, (list, tuple)) else axis


def sum(x, axis=None, keepdim=False):
    return np.asarray(x, np.float64).sum(axis=_axes(axis), keepdims=keepdim)


def mean(x, axis=None, keepdim=False):
    return np.asarray(x, np.float64).mean(axis=_axes(axis), keepdims=keepdim)


def amax(x, axis=None, keepdim=False):
    return np.asarray(x, np.float64).max(axis=_axes(axis), keepdims=keepdim)


def amin(x, axis=None, keepdim=False):
    return np.asarray(x, np.float64).min(axis=_axes(axis), keepdims=keepdim)
