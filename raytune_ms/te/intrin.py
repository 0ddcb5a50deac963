"""Element-wise helpers for compute bodies: math intrinsics, conditionals, casts, constants.

Math intrinsics take floating-point operands (cast integers first): the generated C calls the
float function of the operand's type.
"""

from __future__ import annotations

from .. import tir
from ..tir.dtype import is_float


def _math(op: str, arity: int):
    def intrinsic(*args):
        if len(args) != arity:
            raise TypeError(f"te.{op} takes {arity} argument(s), got {len(args)}")
        exprs = [a for a in args if isinstance(a, tir.PrimExpr)]
        like = exprs[0] if exprs else None
        values = [tir.convert(a, like) for a in args]
        for v in values:
            if not is_float(v.dtype):
                raise TypeError(f"te.{op} expects a float operand, got {v.dtype} {v!r}; cast it first")
        dtype = values[0].dtype
        for v in values[1:]:
            if v.dtype != dtype:
                raise TypeError(f"te.{op}: operands have different dtypes {dtype} and {v.dtype}")
        return tir.call(op, *values, dtype=dtype)

    intrinsic.__name__ = op
    intrinsic.__doc__ = f"The `{op}` math intrinsic (float operands)."
    return intrinsic


exp = _math("exp", 1)
log = _math("log", 1)
sqrt = _math("sqrt", 1)
rsqrt = _math("rsqrt", 1)
tanh = _math("tanh", 1)
sigmoid = _math("sigmoid", 1)
erf = _math("erf", 1)
fabs = _math("fabs", 1)
floor = _math("floor", 1)
ceil = _math("ceil", 1)
round = _math("round", 1)
sin = _math("sin", 1)
cos = _math("cos", 1)
exp2 = _math("exp2", 1)
log2 = _math("log2", 1)
pow = _math("pow", 2)
fmin = _math("fmin", 2)
fmax = _math("fmax", 2)


def if_then_else(cond, then_value, else_value):
    """`then_value` where `cond` holds, else `else_value` (padding: an out-of-range read sits
    in the branch not taken)."""
    cond = tir.convert(cond)
    if cond.dtype != "bool":
        raise TypeError(f"te.if_then_else: condition must be boolean, got {cond.dtype} {cond!r}")
    return tir.select(cond, then_value, else_value)


def all(*conds):
    """The conjunction of boolean expressions (True for none)."""
    return tir.all_of(*conds)


def any(*conds):
    """The disjunction of boolean expressions (False for none)."""
    return tir.any_of(*conds)


def const(value, dtype: str | None = None):
    return tir.const(value, dtype)


def cast(dtype: str, value):
    """`value` converted to `dtype`."""
    tir.check_dtype(dtype)
    return tir.cast(dtype, value)
