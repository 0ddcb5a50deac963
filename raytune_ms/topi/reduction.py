"""Reductions over axes (sum, mean, amax, amin), with keepdim and negative axes as in torch.

A reduction is one block (mean adds an element-wise division), so the tuner sees the same
structure whether the reduced axes are innermost or not."""

from __future__ import annotations

import math

from .. import te
from .shapes import normalize_axes


def _reduce(data, axis, keepdim: bool, reducer, name: str, op: str):
    axes = normalize_axes(axis, data.ndim, op)
    raxes = {d: te.reduce_axis(data.shape[d], f"k{d}") for d in axes}
    kept = [d for d in range(data.ndim) if d not in raxes]
    shape = tuple(1 if d in raxes else data.shape[d] for d in range(data.ndim)) if keepdim else tuple(
        data.shape[d] for d in kept
    )

    def element(*idx):
        if keepdim:
            src = tuple(raxes[d] if d in raxes else idx[d] for d in range(data.ndim))
        else:
            pos = dict(zip(kept, idx))
            src = tuple(raxes[d] if d in raxes else pos[d] for d in range(data.ndim))
        return reducer(data[src], axis=list(raxes.values()))

    return te.compute(shape, element, name=name), math.prod(data.shape[d] for d in axes)


def sum(data, axis=None, keepdim: bool = False, name: str = "T_sum"):
    """The sum over `axis` (an int, a tuple, or None for every axis)."""
    return _reduce(data, axis, keepdim, te.sum, name, "sum")[0]


def mean(data, axis=None, keepdim: bool = False, name: str = "T_mean"):
    """The mean over `axis`: a sum block, then a division by the element count."""
    total, count = _reduce(data, axis, keepdim, te.sum, name + "_sum", "mean")
    return te.compute(total.shape, lambda *idx: total[idx] / float(count), name=name)


def amax(data, axis=None, keepdim: bool = False, name: str = "T_amax"):
    return _reduce(data, axis, keepdim, te.max, name, "amax")[0]


def amin(data, axis=None, keepdim: bool = False, name: str = "T_amin"):
    return _reduce(data, axis, keepdim, te.min, name, "amin")[0]
