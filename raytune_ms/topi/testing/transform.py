"""numpy references for the layout operators and the embedding lookup (numpy's own indexing)."""

from __future__ import annotations

import builtins
import math

import numpy as np


def pad(x, before, after=None, value=0.0):
    after = before if after is None else after
    return np.pad(np.asarray(x), list(zip(before, after)), constant_values=value)


def reshape(x, shape):
    return np.reshape(x, shape)


view = reshape


def flatten(x, start_dim=0, end_dim=-1):
    x = np.asarray(x)
    lo, hi = start_dim % x.ndim, end_dim % x.ndim
    return x.reshape(x.shape[:lo] + (math.prod(x.shape[lo : hi + 1]),) + x.shape[hi + 1 :])


def squeeze(x, axis=None):
    x = np.asarray(x)
    if axis is None:
        return np.squeeze(x)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return np.squeeze(x, tuple(a for a in axes if x.shape[a] == 1))


def unsqueeze(x, axis):
    return np.expand_dims(x, axis)


def permute(x, dims):
    return np.transpose(x, dims)


def transpose(x, dim0=-2, dim1=-1):
    return np.swapaxes(x, dim0, dim1)


def expand(x, sizes):
    x = np.asarray(x)
    lead = len(sizes) - x.ndim
    shape = tuple(x.shape[d - lead] if s == -1 else s for d, s in enumerate(sizes))
    return np.broadcast_to(x, shape)


broadcast_to = expand


def cat(xs, axis=0):
    return np.concatenate(xs, axis=axis)


def slice(x, axis=0, start=None, end=None, step=1):
    x = np.asarray(x)
    idx = [builtins.slice(None)] * x.ndim
    idx[axis] = builtins.slice(start, end, step)
    return x[tuple(idx)]


def select(x, axis, index):
    return np.take(x, index, axis=axis)


def embedding(weight, indices):
    return np.asarray(weight)[np.asarray(indices)]
