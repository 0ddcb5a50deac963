"""Buffers: named, statically shaped, typed arrays living in a memory scope."""

from __future__ import annotations

from .dtype import check_dtype
from .node import Node

# wmma.*: tensor-core fragments, per warp (tir/tensor_intrin/cuda.py)
SCOPES = ("global", "local", "shared", "wmma.matrix_a", "wmma.matrix_b", "wmma.accumulator",
          "m16n8k16.matrixA", "m16n8k16.matrixB", "m16n8k16.matrixC")


class Buffer(Node):
    """A buffer; identity is the buffer (rewrites that change its shape make a new Buffer).

    `strides` is empty for a dense row-major buffer, or one stride per dimension when
    `storage_align` padded a row (elements, not bytes).
    """

    __slots__ = ("name", "shape", "dtype", "scope", "strides")
    _fields = ("name", "shape", "dtype", "scope", "strides")

    def __init__(self, name: str, shape, dtype: str = "float32", scope: str = "global", strides=()):
        shape = tuple(shape)
        for i, s in enumerate(shape):
            if not isinstance(s, int) or isinstance(s, bool) or s <= 0:
                raise ValueError(
                    f"buffer {name!r}: dimension {i} must be a positive int, got {s!r} "
                    "(static shapes only)"
                )
        if scope not in SCOPES:
            raise ValueError(f"buffer {name!r}: scope must be one of {SCOPES}, got {scope!r}")
        self.name = str(name)
        self.shape = shape
        self.dtype = check_dtype(dtype)
        self.scope = scope
        self.strides = tuple(int(s) for s in strides)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        n = 1
        for s in self.shape:
            n *= s
        return n

    def dense_strides(self) -> tuple:
        """Element strides: the explicit ones, or row-major."""
        if self.strides:
            return self.strides
        out, acc = [], 1
        for s in reversed(self.shape):
            out.append(acc)
            acc *= s
        return tuple(reversed(out))

    def alloc_size(self) -> int:
        """Elements to allocate, counting padded strides."""
        if not self.strides:
            return self.size
        return sum((s - 1) * st for s, st in zip(self.shape, self.strides)) + 1

    def __getitem__(self, indices):
        from .expr import BufferLoad, convert

        if not isinstance(indices, tuple):
            indices = (indices,)
        if len(indices) != self.ndim:
            raise IndexError(f"buffer {self.name!r} has {self.ndim} dims, indexed with {len(indices)}")
        return BufferLoad(self, [convert(i) for i in indices])

    __hash__ = Node.__hash__
    __eq__ = Node.__eq__


def decl_buffer(shape, dtype: str = "float32", name: str = "buf", scope: str = "global") -> Buffer:
    return Buffer(name, shape, dtype, scope)
