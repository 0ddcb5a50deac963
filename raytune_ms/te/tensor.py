"""Tensors and the operations that produce them: placeholders (inputs) and computes.

A te graph is a DAG of Tensors; each holds the buffer its elements live in, and indexing a
tensor (`A[i, j]` or `A(i, j)`) builds a load of that buffer. Shapes are static.
"""

from __future__ import annotations

import inspect
import numbers

from .. import tir
from ..tir.dtype import DTypeError, is_int
from .axis import Axis
from .reduce import Reduce


class _TensorBuffer(tir.Buffer):
    """The buffer of a te tensor, pointing back at it (replaced by a plain Buffer when the
    graph becomes a PrimFunc)."""

    __slots__ = ("tensor",)


class Operation:
    """What produces a tensor: a name, a tag for users, and the tensors it reads."""

    def __init__(self, name: str, tag: str = "", attrs=None):
        self.name = name
        self.tag = tag
        self.attrs = dict(attrs or {})
        self.input_tensors: tuple = ()


class PlaceholderOp(Operation):
    """An input: a buffer filled by the caller."""


class ComputeOp(Operation):
    """`out[axis] = body`, where body may be a Reduce over `reduce_axis`."""

    def __init__(self, name, tag, attrs, axis, body, input_tensors):
        super().__init__(name, tag, attrs)
        self.axis = tuple(axis)
        self.body = body
        self.reduce_axis = tuple(body.axis) if isinstance(body, Reduce) else ()
        self.input_tensors = tuple(input_tensors)


class Tensor:
    """The output of an Operation; index it to read its elements."""

    __slots__ = ("op", "buffer")

    def __init__(self, op: Operation, shape, dtype: str):
        self.op = op
        self.buffer = _TensorBuffer(op.name, shape, dtype)
        self.buffer.tensor = self

    @property
    def name(self) -> str:
        return self.op.name

    @property
    def shape(self) -> tuple:
        return self.buffer.shape

    @property
    def dtype(self) -> str:
        return self.buffer.dtype

    @property
    def ndim(self) -> int:
        return self.buffer.ndim

    def __getitem__(self, indices):
        if not isinstance(indices, tuple):
            indices = (indices,)
        if len(indices) != self.ndim:
            raise ValueError(
                f"tensor {self.name!r} has {self.ndim} dimension(s) {self.shape}, "
                f"indexed with {len(indices)} index(es)"
            )
        return tir.BufferLoad(self.buffer, [self._index(d, i) for d, i in enumerate(indices)])

    def __call__(self, *indices):
        return self[indices]

    def __iter__(self):
        raise TypeError(f"tensor {self.name!r} is not iterable; index it with A[i, ...]")

    def _index(self, dim: int, index):
        if isinstance(index, bool) or not isinstance(index, (numbers.Integral, tir.PrimExpr)):
            raise TypeError(
                f"tensor {self.name!r}, dimension {dim}: index must be an int or an integer "
                f"expression, got {type(index).__name__} {index!r}"
            )
        if isinstance(index, numbers.Integral) and not 0 <= index < self.shape[dim]:
            raise ValueError(
                f"tensor {self.name!r}, dimension {dim}: index {index} out of range [0, {self.shape[dim]})"
            )
        index = tir.convert(index)
        if not is_int(index.dtype):
            raise TypeError(
                f"tensor {self.name!r}, dimension {dim}: index has dtype {index.dtype}, expected an integer"
            )
        return index

    def __repr__(self):
        return f"Tensor({self.name!r}, shape={self.shape}, dtype={self.dtype!r})"


def _check_name(name, what: str) -> str:
    if not isinstance(name, str) or not name:
        raise ValueError(f"{what}: name must be a non-empty string, got {name!r}")
    return name


def _shape(shape, what: str) -> tuple:
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)):
        raise TypeError(f"{what}: shape must be a tuple of ints, got {shape!r}")
    for d, s in enumerate(shape):
        if isinstance(s, bool) or not isinstance(s, numbers.Integral) or s <= 0:
            raise ValueError(f"{what}: dimension {d} must be a positive int, got {s!r}")
    return tuple(int(s) for s in shape)


def placeholder(shape, dtype: str = "float32", name: str = "placeholder") -> Tensor:
    """An input tensor of the given static shape and dtype."""
    _check_name(name, "placeholder")
    what = f"placeholder {name!r}"
    shape = _shape(shape, what)
    try:
        tir.check_dtype(dtype)
    except DTypeError as e:
        raise DTypeError(f"{what}: {e}") from None
    return Tensor(PlaceholderOp(name), shape, dtype)


def _axis_names(fcompute, ndim: int, what: str) -> list:
    """The axis names: fcompute's parameter names (i0, i1, ... for *args)."""
    try:
        params = list(inspect.signature(fcompute).parameters.values())
    except (TypeError, ValueError):
        return [f"i{d}" for d in range(ndim)]
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return [f"i{d}" for d in range(ndim)]
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in positional if p.default is p.empty]
    if not len(required) <= ndim <= len(positional):
        raise ValueError(
            f"{what}: fcompute takes {len(required)} argument(s) but the shape has "
            f"{ndim} dimension(s); it needs one argument per dimension"
        )
    return [p.name for p in positional[:ndim]]


def _check_attrs(attrs, what: str) -> dict:
    attrs = dict(attrs or {})
    for k, v in attrs.items():
        if not isinstance(k, str) or not isinstance(v, (bool, int, float, str)):
            raise TypeError(f"{what}: attrs must map str to bool/int/float/str, got {k!r}: {v!r}")
    return attrs


def _check_body(body, axes, what: str) -> list:
    """Validate where each variable and reducer appears; return the tensors read, in order."""
    spatial = {id(a) for a in axes}
    if isinstance(body, Reduce):
        parts = [body.source] + ([body.condition] if body.condition is not None else [])
        allowed = spatial | {id(a) for a in body.axis}
    else:
        parts, allowed = [body], spatial
    tensors, seen = [], set()
    for part in parts:
        nested = tir.collect(part, Reduce)
        if nested:
            raise ValueError(
                f"{what}: te.{nested[0].reducer.name} must be the whole body of the compute, not "
                "part of an expression; compute the reduction as its own tensor"
            )
        for v in tir.collect(part, tir.Var):
            if id(v) in allowed:
                continue
            if isinstance(v, Axis) and v.kind == "reduce":
                where = "is not in the reducer's axis list" if isinstance(body, Reduce) else "is used outside a reducer"
                raise ValueError(f"{what}: reduce axis {v.name!r} {where}")
            if isinstance(v, Axis):
                raise ValueError(f"{what}: uses axis {v.name!r} of another compute")
            raise ValueError(f"{what}: uses variable {v.name!r}, which is not one of its axes")
        for load in tir.collect(part, tir.BufferLoad):
            buf = load.buffer
            if not isinstance(buf, _TensorBuffer):
                raise ValueError(f"{what}: reads buffer {buf.name!r}, which is not a te tensor")
            if id(buf) not in seen:
                seen.add(id(buf))
                tensors.append(buf.tensor)
    return tensors


def compute(shape, fcompute, name: str = "compute", tag: str = "", attrs=None) -> Tensor:
    """A tensor whose element at `(i, j, ...)` is `fcompute(i, j, ...)`.

    The body is an expression of the axes, or a reducer (`te.sum(..., axis=k)`) as a whole.
    `attrs` become the block's annotations.
    """
    _check_name(name, "compute")
    what = f"compute {name!r}"
    shape = _shape(shape, what)
    attrs = _check_attrs(attrs, what)
    names = _axis_names(fcompute, len(shape), what)
    axes = [Axis(n, 0, extent, "spatial") for n, extent in zip(names, shape)]
    body = fcompute(*axes)
    if isinstance(body, Tensor):
        raise TypeError(f"{what}: fcompute returned tensor {body.name!r}; index it ({body.name}[...])")
    if isinstance(body, (tuple, list)):
        raise TypeError(f"{what}: fcompute returned {len(body)} values; one output per compute")
    try:
        body = tir.convert(body)
    except TypeError as e:
        raise TypeError(f"{what}: {e}") from None
    inputs = _check_body(body, axes, what)
    return Tensor(ComputeOp(name, tag, attrs, axes, body, inputs), shape, body.dtype)
