"""Element-wise unary operators (activations and math functions), one compute block each, with
PyTorch's definitions (gelu exact or tanh-approximated, silu = x * sigmoid(x), ...)."""

from __future__ import annotations

import math

from .. import te, tir
from ..tir.dtype import is_float


def _unary(data, f, name: str, op: str, float_only: bool = True):
    if float_only and not is_float(data.dtype):
        raise TypeError(f"{op}: {data.name!r} is {data.dtype}; {op} needs a float tensor (cast it first)")
    return te.compute(data.shape, lambda *idx: f(data[idx]), name=name)


def relu(data, name: str = "T_relu"):
    return _unary(data, lambda x: te.max(x, tir.const(0, data.dtype)), name, "relu", float_only=False)


def leaky_relu(data, negative_slope: float = 0.01, name: str = "T_leaky_relu"):
    return _unary(data, lambda x: te.if_then_else(x > 0, x, x * negative_slope), name, "leaky_relu")


def gelu(data, approximate: str = "none", name: str = "T_gelu"):
    """x * Phi(x); `approximate="tanh"` uses the tanh formula as torch does."""
    if approximate == "none":
        return _unary(data, lambda x: x * 0.5 * (1.0 + te.erf(x * (1.0 / math.sqrt(2.0)))), name, "gelu")
    if approximate == "tanh":
        c = math.sqrt(2.0 / math.pi)
        return _unary(data, lambda x: x * 0.5 * (1.0 + te.tanh(c * (x + 0.044715 * x * x * x))), name, "gelu")
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(data, name: str = "T_silu"):
    return _unary(data, lambda x: x * te.sigmoid(x), name, "silu")


def _math(intrinsic, op: str):
    def f(data, name: str = f"T_{op}"):
        return _unary(data, intrinsic, name, op)

    f.__name__ = op
    f.__doc__ = f"The element-wise {op} of a float tensor."
    return f


sigmoid = _math(te.sigmoid, "sigmoid")
tanh = _math(te.tanh, "tanh")
exp = _math(te.exp, "exp")
log = _math(te.log, "log")
sqrt = _math(te.sqrt, "sqrt")
rsqrt = _math(te.rsqrt, "rsqrt")
erf = _math(te.erf, "erf")
abs = _math(te.fabs, "abs")


def neg(data, name: str = "T_neg"):
    return _unary(data, lambda x: -x, name, "neg", float_only=False)


def clamp(data, min=None, max=None, name: str = "T_clamp"):
    """`data` limited to [min, max] (either bound may be None, as torch.clamp)."""
    if min is None and max is None:
        raise ValueError(f"clamp {data.name!r}: give at least one of min and max")
    if min is not None and max is not None and min > max:
        raise ValueError(f"clamp {data.name!r}: min {min} > max {max}")

    def f(x):
        if min is not None:
            x = te.max(x, tir.const(min, data.dtype))
        if max is not None:
            x = te.min(x, tir.const(max, data.dtype))
        return x

    return _unary(data, f, name, "clamp", float_only=False)


def cast(data, dtype: str, name: str = "T_cast"):
    """`data` converted to `dtype`."""
    tir.check_dtype(dtype)
    return _unary(data, lambda x: te.cast(dtype, x), name, "cast", float_only=False)
