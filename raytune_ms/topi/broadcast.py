"""Element-wise binary operators with numpy/PyTorch broadcasting: add, sub, mul, div, maximum,
minimum, pow. Either operand may be a Python number (it takes the tensor's dtype)."""

from __future__ import annotations

import numbers

from .. import te
from .shapes import broadcast_index, broadcast_shapes, check_dtypes


def _binary(a, b, f, name: str, op: str):
    a_num, b_num = isinstance(a, numbers.Number), isinstance(b, numbers.Number)
    if a_num and b_num:
        raise TypeError(f"{op}: both operands are numbers ({a!r}, {b!r}); at least one must be a tensor")
    if a_num:
        return te.compute(b.shape, lambda *idx: f(a, b[idx]), name=name)
    if b_num:
        return te.compute(a.shape, lambda *idx: f(a[idx], b), name=name)
    check_dtypes(op, a, b)
    shape = broadcast_shapes([a.shape, b.shape], f"{op} of {a.name!r} and {b.name!r}")
    return te.compute(
        shape, lambda *idx: f(a[broadcast_index(a.shape, idx)], b[broadcast_index(b.shape, idx)]), name=name
    )


def add(a, b, alpha=1, name: str = "T_add"):
    """a + alpha * b (torch.add)."""
    return _binary(a, b, lambda x, y: x + (y if alpha == 1 else y * alpha), name, "add")


def sub(a, b, alpha=1, name: str = "T_subtract"):
    """a - alpha * b (torch.sub)."""
    return _binary(a, b, lambda x, y: x - (y if alpha == 1 else y * alpha), name, "sub")


def mul(a, b, name: str = "T_multiply"):
    return _binary(a, b, lambda x, y: x * y, name, "mul")


def div(a, b, name: str = "T_divide"):
    """True division (float tensors)."""
    return _binary(a, b, lambda x, y: x / y, name, "div")


def maximum(a, b, name: str = "T_maximum"):
    return _binary(a, b, te.max, name, "maximum")


def minimum(a, b, name: str = "T_minimum"):
    return _binary(a, b, te.min, name, "minimum")


def pow(a, b, name: str = "T_power"):
    return _binary(a, b, te.pow, name, "pow")
