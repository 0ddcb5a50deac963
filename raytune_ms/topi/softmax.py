"""softmax and log_softmax along an axis, numerically stable: the row maximum is subtracted
before exponentiating (max, exp, sum, normalise: four blocks, as the reference's topi has)."""

from __future__ import annotations

from .. import te
from .shapes import normalize_axis


def _row_max_and_sum(data, axis: int, name: str):
    """(max over `axis`, exp(x - max) or None, sum over `axis` of exp(x - max)), the reductions
    indexed by the input's other dimensions."""
    n = data.shape[axis]
    rest = data.shape[:axis] + data.shape[axis + 1 :]

    def at(idx, k):
        return idx[:axis] + (k,) + idx[axis:]

    k = te.reduce_axis(n, "k")
    maxelem = te.compute(rest, lambda *idx: te.max(data[at(idx, k)], axis=k), name=f"{name}_maxelem")
    shifted = te.compute(
        data.shape, lambda *idx: te.exp(data[idx] - maxelem[idx[:axis] + idx[axis + 1 :]]), name=f"{name}_exp"
    )
    k2 = te.reduce_axis(n, "k")
    expsum = te.compute(rest, lambda *idx: te.sum(shifted[at(idx, k2)], axis=k2), name=f"{name}_expsum")
    return maxelem, shifted, expsum


def softmax(data, axis: int = -1, name: str = "T_softmax"):
    axis = normalize_axis(axis, data.ndim, "softmax")
    _, shifted, expsum = _row_max_and_sum(data, axis, name)
    return te.compute(
        data.shape, lambda *idx: shifted[idx] / expsum[idx[:axis] + idx[axis + 1 :]], name=f"{name}_norm"
    )


def log_softmax(data, axis: int = -1, name: str = "T_log_softmax"):
    """x - max - log(sum(exp(x - max)))."""
    axis = normalize_axis(axis, data.ndim, "log_softmax")
    maxelem, _, expsum = _row_max_and_sum(data, axis, name)

    def element(*idx):
        row = idx[:axis] + idx[axis + 1 :]
        return data[idx] - maxelem[row] - te.log(expsum[row])

    return te.compute(data.shape, element, name=f"{name}_out")
