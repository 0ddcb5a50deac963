"""Data types of the IR: a closed set of names, checked once where a node is built."""

from __future__ import annotations

DTYPES = {
    "bool": ("uint8_t", 1),
    "int8": ("int8_t", 1),
    "uint8": ("uint8_t", 1),
    "int16": ("int16_t", 2),
    "int32": ("int32_t", 4),
    "int64": ("int64_t", 8),
    "float16": ("_Float16", 2),
    "float32": ("float", 4),
    "float64": ("double", 8),
}

NUMPY_NAMES = {"bool": "bool"}


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
    return DTYPES[check_dtype(dtype)][1]


def c_type(dtype: str) -> str:
    return DTYPES[check_dtype(dtype)][0]


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
