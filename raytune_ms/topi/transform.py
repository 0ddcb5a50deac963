"""Layout and indexing operators (injective: every output element reads one input element):
pad, reshape/view, flatten, squeeze/unsqueeze, permute/transpose, expand, cat, slice, select.

Each is one compute block, so the tuner (or a later fusion pass) may inline it into its
consumer; semantics follow PyTorch (negative axes and indices count from the end).
"""

from __future__ import annotations

import math
import numbers

from .. import te, tir
from .shapes import check_dtypes, normalize_axis, per_dim


def pad(data, before, after=None, value=0.0, name: str = "T_pad"):
    """`data` with `value` added before/after each dimension (after defaults to before)."""
    op = f"pad {data.name!r}"
    before = per_dim(before, data.ndim, "pad before", op)
    after = before if after is None else per_dim(after, data.ndim, "pad after", op)
    shape = tuple(s + b + a for s, b, a in zip(data.shape, before, after))
    fill = tir.const(value, data.dtype)

    def element(*idx):
        inside = [te.all(i >= b, i < b + s) for i, s, b, a in zip(idx, data.shape, before, after) if b or a]
        return te.if_then_else(te.all(*inside), data[tuple(i - b for i, b in zip(idx, before))], fill)

    return te.compute(shape, element, name=name)


def _unravel(flat, shape):
    """The multi-index of row-major position `flat` in `shape`."""
    idx = []
    for s in reversed(shape):
        idx.append(flat % s if s > 1 else 0)
        flat = flat // s
    return tuple(reversed(idx))


def _ravel(idx, shape):
    flat = 0
    for i, s in zip(idx, shape):
        flat = flat * s + i
    return flat


def reshape(data, shape, name: str = "T_reshape"):
    """The elements of `data` in row-major order, in a new shape (one entry may be -1)."""
    shape = (shape,) if isinstance(shape, numbers.Integral) else tuple(shape)
    shape = per_dim(shape, len(shape), "shape", f"reshape {data.name!r}", minimum=-1) if shape else ()
    size = math.prod(data.shape)
    if shape.count(-1) > 1:
        raise ValueError(f"reshape {data.name!r}: at most one -1 in the new shape, got {shape}")
    if -1 in shape:
        known = math.prod(s for s in shape if s != -1)
        if known == 0 or size % known:
            raise ValueError(f"reshape {data.name!r}: cannot infer -1 in {shape} for {size} elements {data.shape}")
        shape = tuple(size // known if s == -1 else s for s in shape)
    if math.prod(shape) != size or 0 in shape:
        raise ValueError(f"reshape {data.name!r}: shape {data.shape} ({size} elements) cannot become {shape}")
    return te.compute(shape, lambda *idx: data[_unravel(_ravel(idx, shape), data.shape)], name=name)


view = reshape


def flatten(data, start_dim: int = 0, end_dim: int = -1, name: str = "T_flatten"):
    """Dimensions start_dim..end_dim (inclusive) merged into one."""
    if data.ndim == 0:
        return reshape(data, (1,), name=name)
    lo = normalize_axis(start_dim, data.ndim, "flatten")
    hi = normalize_axis(end_dim, data.ndim, "flatten")
    if hi < lo:
        raise ValueError(f"flatten {data.name!r}: start_dim {start_dim} comes after end_dim {end_dim}")
    shape = data.shape[:lo] + (math.prod(data.shape[lo : hi + 1]),) + data.shape[hi + 1 :]
    return reshape(data, shape, name=name)


def squeeze(data, axis=None, name: str = "T_squeeze"):
    """`data` without its size-1 dimensions (all, or those of `axis`; others are kept as torch does)."""
    if axis is None:
        axes = [d for d, s in enumerate(data.shape) if s == 1]
    else:
        axes = [normalize_axis(a, data.ndim, "squeeze") for a in ((axis,) if isinstance(axis, int) else axis)]
        axes = [a for a in axes if data.shape[a] == 1]
    shape = tuple(s for d, s in enumerate(data.shape) if d not in axes)
    return reshape(data, shape, name=name)


def unsqueeze(data, axis: int, name: str = "T_unsqueeze"):
    """`data` with a size-1 dimension inserted at `axis` (in the result's numbering)."""
    axis = normalize_axis(axis, data.ndim + 1, "unsqueeze")
    return reshape(data, data.shape[:axis] + (1,) + data.shape[axis:], name=name)


def permute(data, dims, name: str = "T_permute"):
    """out[i_0, ..., i_n] = data[...] with output dimension d being input dimension dims[d]."""
    dims = tuple(normalize_axis(d, data.ndim, "permute") for d in dims)
    if sorted(dims) != list(range(data.ndim)):
        raise ValueError(f"permute {data.name!r}: dims {dims} are not a permutation of {data.ndim} dimensions")
    inverse = [dims.index(d) for d in range(data.ndim)]
    shape = tuple(data.shape[d] for d in dims)
    return te.compute(shape, lambda *idx: data[tuple(idx[inverse[d]] for d in range(data.ndim))], name=name)


def transpose(data, dim0: int = -2, dim1: int = -1, name: str = "T_transpose"):
    """`data` with two dimensions swapped."""
    dims = list(range(data.ndim))
    a, b = normalize_axis(dim0, data.ndim, "transpose"), normalize_axis(dim1, data.ndim, "transpose")
    dims[a], dims[b] = dims[b], dims[a]
    return permute(data, dims, name=name)


def expand(data, sizes, name: str = "T_expand"):
    """`data` broadcast to `sizes` (-1 keeps a dimension; new leading dimensions allowed)."""
    sizes = tuple(sizes)
    lead = len(sizes) - data.ndim
    if lead < 0:
        raise ValueError(f"expand {data.name!r}: {len(sizes)} sizes {sizes} for a {data.ndim}-d tensor {data.shape}")
    shape = []
    for d, s in enumerate(sizes):
        have = data.shape[d - lead] if d >= lead else None
        if s == -1:
            if have is None:
                raise ValueError(f"expand {data.name!r}: -1 at new leading dimension {d} of {sizes}")
            s = have
        if isinstance(s, bool) or not isinstance(s, numbers.Integral) or s <= 0:
            raise ValueError(f"expand {data.name!r}: size {s!r} at dimension {d} of {sizes}")
        if have is not None and have not in (1, s):
            raise ValueError(
                f"expand {data.name!r}: dimension {d - lead} has size {have}, cannot expand it to {s} "
                f"(shape {data.shape} to {sizes})"
            )
        shape.append(int(s))

    def element(*idx):
        return data[tuple(0 if data.shape[d] == 1 else idx[d + lead] for d in range(data.ndim))]

    return te.compute(tuple(shape), element, name=name)


broadcast_to = expand


def cat(tensors, axis: int = 0, name: str = "T_concat"):
    """The tensors joined along `axis` (all other dimensions equal)."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: no tensors to join")
    check_dtypes("cat", *tensors)
    first = tensors[0]
    axis = normalize_axis(axis, first.ndim, "cat")
    for t in tensors[1:]:
        if t.ndim != first.ndim or any(a != b for d, (a, b) in enumerate(zip(t.shape, first.shape)) if d != axis):
            raise ValueError(
                f"cat: {t.name!r} has shape {t.shape}, {first.name!r} has {first.shape}; "
                f"they may differ only in dimension {axis}"
            )
    offsets = [0]
    for t in tensors:
        offsets.append(offsets[-1] + t.shape[axis])
    shape = first.shape[:axis] + (offsets[-1],) + first.shape[axis + 1 :]

    def element(*idx):
        def part(k):
            local = idx[:axis] + (idx[axis] - offsets[k],) + idx[axis + 1 :]
            return tensors[k][local]

        value = part(len(tensors) - 1)
        for k in range(len(tensors) - 2, -1, -1):
            value = te.if_then_else(idx[axis] < offsets[k + 1], part(k), value)
        return value

    return te.compute(shape, element, name=name)


def _clamp_index(i, size):
    if i < 0:
        i += size
    return min(max(i, 0), size)


def slice(data, axis: int = 0, start=None, end=None, step: int = 1, name: str = "T_slice"):
    """data[..., start:end:step, ...] along `axis` (PyTorch's bounds: negative from the end, clamped)."""
    axis = normalize_axis(axis, data.ndim, "slice")
    size = data.shape[axis]
    if isinstance(step, bool) or not isinstance(step, numbers.Integral) or step <= 0:
        raise ValueError(f"slice {data.name!r}: step must be a positive int, got {step!r}")
    lo = 0 if start is None else _clamp_index(start, size)
    hi = size if end is None else _clamp_index(end, size)
    if hi <= lo:
        raise ValueError(f"slice {data.name!r}: [{start}:{end}] of dimension {axis} (size {size}) is empty")
    extent = (hi - lo + step - 1) // step
    shape = data.shape[:axis] + (extent,) + data.shape[axis + 1 :]
    return te.compute(shape, lambda *idx: data[idx[:axis] + (idx[axis] * step + lo,) + idx[axis + 1 :]], name=name)


def select(data, axis: int, index: int, name: str = "T_select"):
    """data[..., index, ...]: dimension `axis` removed (torch.select)."""
    axis = normalize_axis(axis, data.ndim, "select")
    size = data.shape[axis]
    if not -size <= index < size:
        raise ValueError(f"select {data.name!r}: index {index} out of range for dimension {axis} of size {size}")
    index %= size
    shape = data.shape[:axis] + data.shape[axis + 1 :]
    return te.compute(shape, lambda *idx: data[idx[:axis] + (index,) + idx[axis:]], name=name)
