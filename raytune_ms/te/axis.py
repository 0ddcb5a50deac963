"""Axes of a compute: spatial axes (one per output dimension) and reduction axes.

An axis is a `tir.Var` (so `A[i, k * 2 + 1]` just works) that also carries its domain and
kind. Axes live only in the te graph: `create_prim_func` replaces each by a block iterator,
so no Axis reaches a PrimFunc.
"""

from __future__ import annotations

import numbers

from .. import tir


class Axis(tir.Var):
    """A compute axis: a variable with a domain [dom.min, dom.min + dom.extent) and a kind."""

    __slots__ = ("dom", "kind")

    def __init__(self, name: str, lo: int, extent: int, kind: str):
        super().__init__(name, "int32")
        self.dom = tir.Range(lo, extent)
        self.kind = kind

    @property
    def var(self) -> Axis:
        """The axis itself (TVM spells the loop variable of an IterVar `.var`)."""
        return self

    @property
    def lo(self) -> int:
        return self.dom.min.value

    @property
    def extent(self) -> int:
        return self.dom.extent.value


def _int(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{what} must be an int, got {value!r}")
    return int(value)


def reduce_axis(dom, name: str = "rv") -> Axis:
    """A reduction axis over `range(lo, hi)` given as `(lo, hi)`, or over `range(extent)`."""
    if isinstance(dom, (tuple, list)):
        if len(dom) != 2:
            raise ValueError(f"reduce_axis {name!r}: domain must be (lo, hi), got {dom!r}")
        lo = _int(dom[0], f"reduce_axis {name!r}: lower bound")
        hi = _int(dom[1], f"reduce_axis {name!r}: upper bound")
    else:
        lo, hi = 0, _int(dom, f"reduce_axis {name!r}: extent")
    if hi <= lo:
        raise ValueError(f"reduce_axis {name!r}: empty domain [{lo}, {hi})")
    return Axis(name, lo, hi - lo, "reduce")
