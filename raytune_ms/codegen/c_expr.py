"""Scalar C spelling of IR expressions.

Loop variables are `int64_t` in the generated code, so index arithmetic never overflows 32 bits.
float16 is stored as `_Float16` but every float16 expression is computed in `float` (a load
widens, a cast to float16 rounds through `_Float16` and widens again). bool is stored as
`uint8_t` and computed as a C truth value. Integer floor division and modulo use the floor
helpers of the prelude unless the dividend is provably non-negative (then plain `/` and `%`).
"""

from __future__ import annotations

import math

from ..tir import (
    EQ,
    GE,
    GT,
    LE,
    LT,
    NE,
    Add,
    And,
    BufferLoad,
    Call,
    Cast,
    Div,
    FloatImm,
    FloorDiv,
    FloorMod,
    IntImm,
    Max,
    Min,
    Mul,
    Not,
    Or,
    Select,
    StringImm,
    Sub,
    Var,
)
from ..tir.arith import bound
from ..tir.dtype import check_dtype, is_float


class CodegenError(ValueError):
    """The program uses something the C generator cannot express (the message says what)."""


_INFIX = {Add: "+", Sub: "-", Mul: "*", Div: "/", EQ: "==", NE: "!=", LT: "<", LE: "<=", GT: ">",
          GE: ">=", And: "&&", Or: "||"}

# intrinsic -> C function for float; f64 drops the "f" suffix
_MATH = {
    "exp": "expf", "log": "logf", "sqrt": "sqrtf", "tanh": "tanhf", "erf": "erff",
    "fabs": "fabsf", "floor": "floorf", "ceil": "ceilf", "round": "nearbyintf", "pow": "powf",
    "sin": "sinf", "cos": "cosf", "exp2": "exp2f", "log2": "log2f", "fmin": "fminf",
    "fmax": "fmaxf", "rsqrt": "rtms_rsqrtf", "sigmoid": "rtms_sigmoidf",
}


#: the C type each dtype is stored in
C_TYPES = {
    "bool": "uint8_t", "int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "int32": "int32_t",
    "int64": "int64_t", "float16": "_Float16", "float32": "float", "float64": "double",
}


def c_type(dtype: str) -> str:
    """The C type `dtype` is stored in."""
    return C_TYPES[check_dtype(dtype)]


def compute_type(dtype: str) -> str:
    """The C type an expression of `dtype` is computed in."""
    if dtype == "float16":
        return "float"
    if dtype == "bool":
        return "int"
    return c_type(dtype)


def float_literal(value: float, dtype: str) -> str:
    if math.isnan(value):
        return "NAN" if dtype != "float64" else "((double)NAN)"
    if math.isinf(value):
        lit = "INFINITY" if dtype != "float64" else "((double)INFINITY)"
        return lit if value > 0 else f"(-{lit})"
    if dtype == "float64":
        return repr(value)
    text = repr(value)
    if "e" not in text and "." not in text:
        text += ".0"
    return f"{text}f" if dtype != "float16" else f"((float)(_Float16){text}f)"


def int_literal(value: int, dtype: str) -> str:
    if dtype == "bool":
        return "1" if value else "0"
    if -(1 << 31) <= value < (1 << 31):
        return str(value) if value >= 0 else f"({value})"
    return f"INT64_C({value})" if value >= 0 else f"(-INT64_C({-value}))"


class ExprPrinter:
    """Spells expressions; `load(node)` is supplied by the statement emitter (it knows the
    buffers' C names and layouts), `var_name(var)` maps loop variables (or unrolled values)."""

    def __init__(self, var_name, load, ranges):
        self.var_name = var_name
        self.load = load
        self.ranges = ranges  # Var -> Range of enclosing loops, for non-negativity proofs

    def nonneg(self, e) -> bool:
        lo, _ = bound(e, self.ranges)
        return lo is not None and lo >= 0

    def __call__(self, e) -> str:  # noqa: C901 - one case per node type
        t = type(e)
        if t is Var:
            return self.var_name(e)
        if t is IntImm:
            return int_literal(e.value, e.dtype)
        if t is FloatImm:
            return float_literal(e.value, e.dtype)
        if t is BufferLoad:
            return self.load(e)
        if t in _INFIX:
            return f"({self(e.a)} {_INFIX[t]} {self(e.b)})"
        if t is FloorDiv or t is FloorMod:
            return self.floor_op(e)
        if t is Min or t is Max:
            return f"rtms_{'min' if t is Min else 'max'}_{_suffix(e.dtype)}({self(e.a)}, {self(e.b)})"
        if t is Not:
            return f"(!{self(e.a)})"
        if t is Select:
            return f"({self(e.condition)} ? {self(e.true_value)} : {self(e.false_value)})"
        if t is Cast:
            return self.cast(e)
        if t is Call:
            return self.call(e)
        if t is StringImm:
            raise CodegenError(f"a string constant {e.value!r} cannot appear in a kernel")
        raise CodegenError(f"cannot generate C for expression node {t.__name__}")

    def floor_op(self, e) -> str:
        a, b = self(e.a), self(e.b)
        op = "/" if type(e) is FloorDiv else "%"
        if isinstance(e.b, IntImm) and e.b.value > 0 and self.nonneg(e.a):
            return f"({a} {op} {b})"
        helper = "rtms_floordiv" if op == "/" else "rtms_floormod"
        return f"(({compute_type(e.dtype)}){helper}({a}, {b}))"

    def cast(self, e) -> str:
        v = self(e.value)
        if e.dtype == "bool":
            return f"({v} != 0)"
        if e.dtype == "float16":
            return f"((float)(_Float16)({v}))"
        return f"(({c_type(e.dtype)})({v}))"

    def call(self, e) -> str:
        args = [self(a) for a in e.args]
        if not is_float(e.dtype):
            if e.op in ("fmin", "fmax"):
                return f"rtms_{e.op[1:]}_{_suffix(e.dtype)}({args[0]}, {args[1]})"
            if e.op == "fabs":
                return f"rtms_abs_{_suffix(e.dtype)}({args[0]})"
            # other intrinsics on integers: compute in double, convert back
            inner = ", ".join(f"(double)({a})" for a in args)
            return f"(({c_type(e.dtype)}){_f64_name(e.op)}({inner}))"
        name = _MATH[e.op] if e.dtype != "float64" else _f64_name(e.op)
        return f"{name}({', '.join(args)})"


def _f64_name(op: str) -> str:
    return _MATH[op][:-1]  # expf -> exp, rtms_rsqrtf -> rtms_rsqrt


def _suffix(dtype: str) -> str:
    """Helper-name suffix of the C computation type of `dtype`."""
    return {"float": "f32", "double": "f64", "int": "i32"}.get(compute_type(dtype), dtype_code(dtype))


def dtype_code(dtype: str) -> str:
    """Short spelling of a dtype in helper and vector-type names."""
    return {"int8": "i8", "uint8": "u8", "int16": "i16", "int32": "i32", "int64": "i64",
            "float32": "f32", "float64": "f64", "float16": "f32", "bool": "i32"}[dtype]
