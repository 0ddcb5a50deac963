"""Data types of the IR: a closed set of names, checked once where a node is built."""

from __future__ import annotations

#: name -> bytes per element
DTYPES = {
    "bool": 1, "int8": 1, "uint8": 1, "int16": 2, "int32": 4, "int64": 8,
    "float16": 2, "float32": 4, "float64": 8,
}


class DTypeError(TypeError):
    """An unknown or unsupported data type name."""


def check_dtype(dtype: str) -> str:
    """Return `dtype` if it is a known type name, else raise a DTypeError naming the choices."""
    if dtype not in DTYPES:
        raise DTypeError(f"unknown dtype {dtype!r}; supported: {', '.join(DTYPES)}")
    return dtype


def is_float(dtype: str) -> bool:
    return dtype.startswith("float")


def is_int(dtype: str) -> bool:
    return dtype.startswith("int") or dtype.startswith("uint")


def is_bool(dtype: str) -> bool:
    return dtype == "bool"


def bytes_of(dtype: str) -> int:
    return DTYPES[check_dtype(dtype)]


def promote(a: str, b: str) -> str:
    """The result type of a binary op on `a` and `b` (float wins, then the wider type)."""
    if a == b:
        return a
    if is_float(a) != is_float(b):
        return a if is_float(a) else b
    if is_bool(a):
        return b
    if is_bool(b):
        return a
    return a if bytes_of(a) >= bytes_of(b) else b
