"""Shape arithmetic shared by the operators: axes, broadcasting, per-dimension parameters.

Every check raises a ValueError that names the operator and the dimensions that disagree, so a
model with a wrong shape fails where it is lowered, not as a wrong answer.
"""

from __future__ import annotations

import numbers


def normalize_axis(axis, ndim: int, op: str) -> int:
    """`axis` in [0, ndim), counting negative axes from the end as numpy and torch do."""
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"{op}: axis must be an int, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{op}: axis {axis} out of range for a tensor of {ndim} dimension(s)")
    return int(axis) % ndim


def normalize_axes(axes, ndim: int, op: str) -> tuple:
    """Sorted, distinct axes; None means every axis."""
    if axes is None:
        return tuple(range(ndim))
    if isinstance(axes, numbers.Integral):
        axes = (axes,)
    out = [normalize_axis(a, ndim, op) for a in axes]
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: an axis is repeated in {tuple(axes)}")
    return tuple(sorted(out))


def broadcast_shapes(shapes, op: str) -> tuple:
    """The numpy broadcast of `shapes` (aligned at the last dimension; 1 stretches)."""
    ndim = max(len(s) for s in shapes)
    out = []
    for d in range(ndim):
        sizes = {s[d - ndim + len(s)] for s in shapes if d - ndim + len(s) >= 0}
        sizes.discard(1)
        if len(sizes) > 1:
            raise ValueError(
                f"{op}: shapes {', '.join(str(tuple(s)) for s in shapes)} do not broadcast "
                f"(sizes {sorted(sizes)} at dimension {d - ndim} from the end)"
            )
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def broadcast_index(shape, out_idx):
    """The index into a tensor of `shape` that an output index of the broadcast shape reads."""
    lead = len(out_idx) - len(shape)
    return tuple(0 if s == 1 else i for s, i in zip(shape, out_idx[lead:]))


def per_dim(value, n: int, what: str, op: str, minimum: int = 0) -> tuple:
    """An int or a sequence of `n` ints (a stride, padding, kernel size...) as an n-tuple."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value,) * n
    value = tuple(value)
    if len(value) == 1 and n > 1:
        value = value * n
    if len(value) != n or any(isinstance(v, bool) or not isinstance(v, numbers.Integral) for v in value):
        raise ValueError(f"{op}: {what} must be an int or {n} ints, got {value!r}")
    if any(v < minimum for v in value):
        raise ValueError(f"{op}: {what} must be >= {minimum}, got {value!r}")
    return tuple(int(v) for v in value)


def check_ndim(tensor, ndims, op: str, what: str = "input") -> None:
    ndims = (ndims,) if isinstance(ndims, int) else tuple(ndims)
    if tensor.ndim not in ndims:
        want = " or ".join(str(n) for n in ndims)
        raise ValueError(f"{op}: {what} {tensor.name!r} must have {want} dimensions, got shape {tensor.shape}")


def check_dtypes(op: str, *tensors) -> str:
    """The common dtype of `tensors` (an error naming both when two differ)."""
    first = tensors[0]
    for t in tensors[1:]:
        if t.dtype != first.dtype:
            raise TypeError(f"{op}: {first.name!r} is {first.dtype} but {t.name!r} is {t.dtype}; cast one first")
    return first.dtype
