"""Expressions: variables, constants, arithmetic, comparisons, logic, calls and buffer loads.

Python operators on expressions build IR (`a + b`, `a < b`, `-a`); `==`/`!=` stay identity
comparisons so nodes can key dicts, and `eq(a, b)` / `ne(a, b)` build the comparison instead.
Constructors fold constants and trivial identities (x + 0, x * 1) so scheduled programs stay
small and readable.
"""

from __future__ import annotations

import math
import numbers

from .dtype import DTYPES, check_dtype, is_float, is_int, promote
from .node import Node


class PrimExpr(Node):
    __slots__ = ()
    dtype: str

    def __add__(self, other):
        return add(self, other)

    def __radd__(self, other):
        return add(other, self)

    def __sub__(self, other):
        return sub(self, other)

    def __rsub__(self, other):
        return sub(other, self)

    def __mul__(self, other):
        return mul(self, other)

    def __rmul__(self, other):
        return mul(other, self)

    def __truediv__(self, other):
        return div(self, other)

    def __rtruediv__(self, other):
        return div(other, self)

    def __floordiv__(self, other):
        return floordiv(self, other)

    def __rfloordiv__(self, other):
        return floordiv(other, self)

    def __mod__(self, other):
        return floormod(self, other)

    def __rmod__(self, other):
        return floormod(other, self)

    def __neg__(self):
        return sub(zero_like(self), self)

    def __lt__(self, other):
        return _cmp(LT, self, other)

    def __le__(self, other):
        return _cmp(LE, self, other)

    def __gt__(self, other):
        return _cmp(GT, self, other)

    def __ge__(self, other):
        return _cmp(GE, self, other)

    def __and__(self, other):
        return logical_and(self, other)

    def __or__(self, other):
        return logical_or(self, other)

    def __invert__(self):
        return logical_not(self)

    __hash__ = Node.__hash__
    __eq__ = Node.__eq__

    def __bool__(self):
        raise TypeError(
            f"cannot use IR expression {self!r} as a Python bool; "
            "use tir.all/any/if_then_else or compare with structural_equal"
        )


class Var(PrimExpr):
    """A variable; identity is the variable (two Vars named `i` are different variables)."""

    __slots__ = ("name", "dtype")
    _fields = ("name", "dtype")

    def __init__(self, name: str, dtype: str = "int32"):
        self.name = str(name)
        self.dtype = check_dtype(dtype)

    def replace(self, **changes):  # a Var is its identity: never rebuilt
        raise TypeError("Var is not rebuilt; create a new Var")


class IntImm(PrimExpr):
    __slots__ = ("value", "dtype")
    _fields = ("value", "dtype")

    def __init__(self, value: int, dtype: str = "int32"):
        self.value = int(value)
        self.dtype = dtype if dtype in DTYPES else check_dtype(dtype)  # (the check raises)


class FloatImm(PrimExpr):
    __slots__ = ("value", "dtype")
    _fields = ("value", "dtype")

    def __init__(self, value: float, dtype: str = "float32"):
        self.value = float(value)
        self.dtype = check_dtype(dtype)


class StringImm(PrimExpr):
    __slots__ = ("value", "dtype")
    _fields = ("value",)

    def __init__(self, value: str):
        self.value = str(value)
        self.dtype = "int32"


class BinaryOp(PrimExpr):
    __slots__ = ("a", "b", "dtype")
    _fields = ("a", "b")
    symbol = "?"

    def __init__(self, a: PrimExpr, b: PrimExpr):
        self.a = a
        self.b = b
        self.dtype = self._result_dtype(a, b)

    @staticmethod
    def _result_dtype(a, b):
        return promote(a.dtype, b.dtype)


class Add(BinaryOp):
    __slots__ = ()
    symbol = "+"


class Sub(BinaryOp):
    __slots__ = ()
    symbol = "-"


class Mul(BinaryOp):
    __slots__ = ()
    symbol = "*"


class Div(BinaryOp):
    """True division (floats); integer code uses FloorDiv."""

    __slots__ = ()
    symbol = "/"


class FloorDiv(BinaryOp):
    __slots__ = ()
    symbol = "//"


class FloorMod(BinaryOp):
    __slots__ = ()
    symbol = "%"


class Min(BinaryOp):
    __slots__ = ()
    symbol = "min"


class Max(BinaryOp):
    __slots__ = ()
    symbol = "max"


class CmpOp(BinaryOp):
    __slots__ = ()

    @staticmethod
    def _result_dtype(a, b):
        return "bool"


class EQ(CmpOp):
    __slots__ = ()
    symbol = "=="


class NE(CmpOp):
    __slots__ = ()
    symbol = "!="


class LT(CmpOp):
    __slots__ = ()
    symbol = "<"


class LE(CmpOp):
    __slots__ = ()
    symbol = "<="


class GT(CmpOp):
    __slots__ = ()
    symbol = ">"


class GE(CmpOp):
    __slots__ = ()
    symbol = ">="


class And(CmpOp):
    __slots__ = ()
    symbol = "and"


class Or(CmpOp):
    __slots__ = ()
    symbol = "or"


class Not(PrimExpr):
    __slots__ = ("a", "dtype")
    _fields = ("a",)

    def __init__(self, a: PrimExpr):
        self.a = a
        self.dtype = "bool"


class Select(PrimExpr):
    """`true_value if condition else false_value` (both sides may be evaluated)."""

    __slots__ = ("condition", "true_value", "false_value", "dtype")
    _fields = ("condition", "true_value", "false_value")

    def __init__(self, condition, true_value, false_value):
        self.condition = condition
        self.true_value = true_value
        self.false_value = false_value
        self.dtype = promote(true_value.dtype, false_value.dtype)


class Cast(PrimExpr):
    __slots__ = ("dtype", "value")
    _fields = ("dtype", "value")

    def __init__(self, dtype: str, value: PrimExpr):
        self.dtype = check_dtype(dtype)
        self.value = value


MATH_INTRINSICS = (
    "exp", "log", "sqrt", "rsqrt", "tanh", "sigmoid", "erf", "fabs", "floor", "ceil",
    "round", "pow", "sin", "cos", "exp2", "log2", "fmin", "fmax",
)


class Call(PrimExpr):
    """A call of a math intrinsic by name (see MATH_INTRINSICS)."""

    __slots__ = ("dtype", "op", "args")
    _fields = ("dtype", "op", "args")

    def __init__(self, dtype: str, op: str, args):
        if op not in MATH_INTRINSICS:
            raise ValueError(f"unknown intrinsic {op!r}; known: {', '.join(MATH_INTRINSICS)}")
        self.dtype = check_dtype(dtype)
        self.op = op
        self.args = tuple(args)


class BufferLoad(PrimExpr):
    __slots__ = ("buffer", "indices", "dtype")
    _fields = ("buffer", "indices")

    def __init__(self, buffer, indices):
        self.buffer = buffer
        self.indices = tuple(indices)
        self.dtype = buffer.dtype


class Range(Node):
    """The half-open interval [min, min + extent)."""

    __slots__ = ("min", "extent")
    _fields = ("min", "extent")

    def __init__(self, min, extent):  # (convert's first test inline: most bounds are expressions)
        self.min = min if isinstance(min, PrimExpr) else convert(min)
        self.extent = extent if isinstance(extent, PrimExpr) else convert(extent)


class IterVar(Node):
    """A block iterator: its variable, its domain and whether it is spatial or a reduction."""

    __slots__ = ("var", "dom", "kind")
    _fields = ("var", "dom", "kind")
    KINDS = ("spatial", "reduce")

    def __init__(self, var: Var, dom: Range, kind: str):
        if kind not in self.KINDS:
            raise ValueError(f"iter var kind must be one of {self.KINDS}, got {kind!r}")
        self.var = var
        self.dom = dom
        self.kind = kind


# ---------------------------------------------------------------- constructors with folding


def const(value, dtype: str | None = None) -> PrimExpr:
    if type(value) is int and (dtype is None or not is_float(dtype)):  # fast path
        return IntImm(value, dtype or "int32")
    if isinstance(value, bool):
        return IntImm(int(value), dtype or "bool")
    if dtype is None:
        dtype = "int32" if isinstance(value, numbers.Integral) else "float32"
    if is_float(dtype):
        return FloatImm(value, dtype)
    return IntImm(value, dtype)


def convert(value, like: PrimExpr | None = None) -> PrimExpr:
    """Turn a Python number into a constant of `like`'s dtype (if given), pass exprs through."""
    if isinstance(value, PrimExpr):
        return value
    if type(value) is int:  # fast paths (what the general case gives, without its ABC checks)
        if like is None:
            return IntImm(value, "int32")
        dtype = like.dtype
        if is_float(dtype):
            return FloatImm(value, dtype)
        return IntImm(value, dtype if is_int(dtype) else "int32")
    if isinstance(value, (numbers.Number, bool)):
        if like is not None and not isinstance(value, bool):
            if is_float(like.dtype) or (is_int(like.dtype) and isinstance(value, numbers.Integral)):
                return const(value, like.dtype)
        return const(value)
    raise TypeError(f"cannot convert {value!r} of type {type(value).__name__} to an IR expression")


def zero_like(e: PrimExpr) -> PrimExpr:
    return const(0, e.dtype)


def _pair(a, b):
    if not isinstance(a, PrimExpr):
        b = convert(b)
        return convert(a, b), b
    return a, convert(b, a)


def _int(e):
    return e.value if isinstance(e, IntImm) else None


def _is_const(e, v):
    return isinstance(e, (IntImm, FloatImm)) and e.value == v


def add(a, b) -> PrimExpr:
    a, b = _pair(a, b)
    if isinstance(a, (IntImm, FloatImm)) and isinstance(b, (IntImm, FloatImm)) and a.dtype == b.dtype:
        return const(a.value + b.value, a.dtype)
    if _is_const(b, 0) and b.dtype == a.dtype:
        return a
    if _is_const(a, 0) and a.dtype == b.dtype:
        return b
    return Add(a, b)


def sub(a, b) -> PrimExpr:
    a, b = _pair(a, b)
    if isinstance(a, (IntImm, FloatImm)) and isinstance(b, (IntImm, FloatImm)) and a.dtype == b.dtype:
        return const(a.value - b.value, a.dtype)
    if _is_const(b, 0) and b.dtype == a.dtype:
        return a
    if a is b and is_int(a.dtype):
        return zero_like(a)
    return Sub(a, b)


def mul(a, b) -> PrimExpr:
    a, b = _pair(a, b)
    if isinstance(a, (IntImm, FloatImm)) and isinstance(b, (IntImm, FloatImm)) and a.dtype == b.dtype:
        return const(a.value * b.value, a.dtype)
    if _is_const(b, 1) and b.dtype == a.dtype:
        return a
    if _is_const(a, 1) and a.dtype == b.dtype:
        return b
    if is_int(a.dtype) and is_int(b.dtype) and (_is_const(a, 0) or _is_const(b, 0)):
        return const(0, promote(a.dtype, b.dtype))
    return Mul(a, b)


def div(a, b) -> PrimExpr:
    a, b = _pair(a, b)
    if not is_float(a.dtype) and not is_float(b.dtype):
        raise TypeError(f"true division of integers {a!r} / {b!r}; use // (floordiv)")
    if isinstance(a, FloatImm) and isinstance(b, FloatImm) and b.value != 0:
        return const(a.value / b.value, promote(a.dtype, b.dtype))
    return Div(a, b)


def floordiv(a, b) -> PrimExpr:
    a, b = _pair(a, b)
    ia, ib = _int(a), _int(b)
    if ib == 0:
        raise ZeroDivisionError(f"floordiv by zero: {a!r} // 0")
    if ia is not None and ib is not None:
        return const(ia // ib, promote(a.dtype, b.dtype))
    if ib == 1:
        return a
    if is_float(a.dtype):
        return Call(a.dtype, "floor", (Div(a, b),))
    return FloorDiv(a, b)


def floormod(a, b) -> PrimExpr:
    a, b = _pair(a, b)
    ia, ib = _int(a), _int(b)
    if ib == 0:
        raise ZeroDivisionError(f"floormod by zero: {a!r} % 0")
    if ia is not None and ib is not None:
        return const(ia % ib, promote(a.dtype, b.dtype))
    if ib == 1:
        return const(0, a.dtype)
    return FloorMod(a, b)


def min_expr(a, b) -> PrimExpr:
    a, b = _pair(a, b)
    if isinstance(a, (IntImm, FloatImm)) and isinstance(b, (IntImm, FloatImm)):
        return const(min(a.value, b.value), promote(a.dtype, b.dtype))
    if a is b:
        return a
    return Min(a, b)


def max_expr(a, b) -> PrimExpr:
    a, b = _pair(a, b)
    if isinstance(a, (IntImm, FloatImm)) and isinstance(b, (IntImm, FloatImm)):
        return const(max(a.value, b.value), promote(a.dtype, b.dtype))
    if a is b:
        return a
    return Max(a, b)


def _cmp(cls, a, b):
    a, b = _pair(a, b)
    if isinstance(a, (IntImm, FloatImm)) and isinstance(b, (IntImm, FloatImm)):
        ops = {LT: a.value < b.value, LE: a.value <= b.value, GT: a.value > b.value,
               GE: a.value >= b.value, EQ: a.value == b.value, NE: a.value != b.value}
        return const(ops[cls], "bool")
    return cls(a, b)


def eq(a, b) -> PrimExpr:
    return _cmp(EQ, a, b)


def ne(a, b) -> PrimExpr:
    return _cmp(NE, a, b)


def _truth(e):
    return e.value != 0 if isinstance(e, IntImm) and e.dtype == "bool" else None


def logical_and(a, b) -> PrimExpr:
    a, b = convert(a), convert(b)
    ta, tb = _truth(a), _truth(b)
    if ta is True:
        return b
    if tb is True:
        return a
    if ta is False or tb is False:
        return const(False)
    return And(a, b)


def logical_or(a, b) -> PrimExpr:
    a, b = convert(a), convert(b)
    ta, tb = _truth(a), _truth(b)
    if ta is False:
        return b
    if tb is False:
        return a
    if ta is True or tb is True:
        return const(True)
    return Or(a, b)


def logical_not(a) -> PrimExpr:
    a = convert(a)
    t = _truth(a)
    if t is not None:
        return const(not t)
    return Not(a)


def all_of(*conds) -> PrimExpr:
    out = const(True)
    for c in conds:
        out = logical_and(out, c)
    return out


def any_of(*conds) -> PrimExpr:
    out = const(False)
    for c in conds:
        out = logical_or(out, c)
    return out


def select(cond, t, f) -> PrimExpr:
    cond = convert(cond)
    t, f = _pair(t, f)
    truth = _truth(cond)
    if truth is True:
        return t
    if truth is False:
        return f
    return Select(cond, t, f)


def cast(dtype: str, value) -> PrimExpr:
    value = convert(value)
    if value.dtype == dtype:
        return value
    if isinstance(value, (IntImm, FloatImm)):
        return const(value.value if is_float(dtype) else int(value.value), dtype)
    return Cast(dtype, value)


def call(op: str, *args, dtype: str | None = None) -> PrimExpr:
    args = tuple(convert(a) for a in args)
    return Call(dtype or args[0].dtype, op, args)


def min_value(dtype: str) -> PrimExpr:
    if is_float(dtype):
        return const(-math.inf, dtype)
    bits = {"int8": 8, "int16": 16, "int32": 32, "int64": 64}.get(dtype)
    return const(-(1 << (bits - 1)) if bits else 0, dtype)


def max_value(dtype: str) -> PrimExpr:
    if is_float(dtype):
        return const(math.inf, dtype)
    bits = {"int8": 8, "int16": 16, "int32": 32, "int64": 64}.get(dtype)
    return const((1 << (bits - 1)) - 1 if bits else 1, dtype)
