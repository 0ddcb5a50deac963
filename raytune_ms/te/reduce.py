"""Commutative reducers (sum, max, min, user-defined) and the Reduce expression they build.

`te.sum(expr, axis=k)` returns a Reduce: it may only be the whole body of a compute, which
`create_prim_func` turns into a reduction block (an `init` storing the identity, a body
combining the running value with `expr`).
"""

from __future__ import annotations

from .. import tir
from ..tir.functor import used_vars
from .axis import Axis


class Reduce(tir.PrimExpr):
    """`reducer` over `axis` of `source`, counting only points where `condition` holds."""

    __slots__ = ("reducer", "source", "axis", "condition", "dtype")
    _fields = ("reducer", "source", "axis", "condition")

    def __init__(self, reducer, source, axis, condition):
        self.reducer = reducer
        self.source = source
        self.axis = tuple(axis)
        self.condition = condition
        self.dtype = source.dtype

    def __repr__(self):
        names = ", ".join(a.name for a in self.axis)
        return f"{self.reducer.name}({tir.script(self.source)}, axis=[{names}])"


class CommReducer:
    """A commutative, associative combiner with an identity element (per dtype)."""

    def __init__(self, fcombine, fidentity, name: str):
        self.fcombine = fcombine
        self.fidentity = fidentity
        self.name = name

    def combine(self, lhs, rhs):
        return tir.convert(self.fcombine(lhs, rhs))

    def identity(self, dtype: str):
        return tir.convert(self.fidentity(dtype))

    def __call__(self, expr, axis=None, where=None):
        """`r(expr, axis=k or [k1, k2], where=cond)` reduces; `r(a, b)` combines two values."""
        if axis is None:
            raise TypeError(
                f"te.{self.name}: give the reduction axes (axis=k or axis=[k1, k2]) "
                f"or two values to combine (te.{self.name}(a, b))"
            )
        if isinstance(axis, (Axis, list, tuple)):
            return self._reduce(expr, axis, where)
        if where is not None:
            raise TypeError(f"te.{self.name}: `where` only applies to a reduction over axes")
        return self.combine(*_operands(expr, axis))

    def _reduce(self, expr, axis, where):
        axes = [axis] if isinstance(axis, Axis) else list(axis)
        if not axes:
            raise ValueError(f"te.{self.name}: empty list of reduction axes")
        for a in axes:
            if not isinstance(a, Axis) or a.kind != "reduce":
                what = f"spatial axis {a.name!r}" if isinstance(a, Axis) else repr(a)
                raise ValueError(f"te.{self.name}: {what} is not a reduce_axis")
        if len({id(a) for a in axes}) != len(axes):
            raise ValueError(f"te.{self.name}: an axis is listed twice in {[a.name for a in axes]}")
        source = tir.convert(expr)
        if isinstance(source, Reduce):
            raise ValueError(f"te.{self.name}: a reduction of a reduction; compute the inner one first")
        condition = None if where is None else tir.convert(where)
        if condition is not None and condition.dtype != "bool":
            raise TypeError(f"te.{self.name}: `where` must be a boolean condition, got {condition.dtype}")
        used = used_vars(source)
        if condition is not None:
            used |= used_vars(condition)
        for a in axes:
            if id(a) not in used:
                raise ValueError(
                    f"te.{self.name}: reduce axis {a.name!r} is not used in the reduced expression"
                )
        return Reduce(self, source, axes, condition)


def comm_reducer(fcombine, fidentity, name: str = "reduce") -> CommReducer:
    """A reducer from `fcombine(x, y) -> expr` and `fidentity(dtype) -> expr`."""
    return CommReducer(fcombine, fidentity, name)


def _operands(a, b):
    """Two operands as expressions, a Python number taking the other side's dtype."""
    if isinstance(a, tir.PrimExpr):
        return a, tir.convert(b, a)
    b = tir.convert(b)
    return tir.convert(a, b), b


sum = CommReducer(lambda x, y: x + y, lambda t: tir.const(0, t), "sum")
max = CommReducer(tir.max_expr, tir.min_value, "max")
min = CommReducer(tir.min_expr, tir.max_value, "min")
