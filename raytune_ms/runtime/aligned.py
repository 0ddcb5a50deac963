"""Kernel arguments whose data starts on a cache-line boundary.

numpy aligns an array's data to 16 bytes only, and a large array (glibc serves it from mmap)
starts 16 bytes past a page: a kernel's vector loads and stores of such an argument then
straddle two cache lines each (DEP: 1.15-1.2x slower on AVX-512). The generated code's own
buffers come from aligned_alloc(64) (codegen.prelude), TVM's NDArray and torch's CPU tensors
are 64-byte aligned too; the runner and the suite hand kernels arguments aligned the same way,
so that what is measured is what a framework's tensors get. 64 is the cache line, not a
vector width: it is a multiple of every vector width up to AVX-512's.
"""

from __future__ import annotations

import numpy as np

ALIGNMENT = 64


def aligned_empty(shape, dtype, alignment: int = ALIGNMENT) -> np.ndarray:
    """An uninitialised C-contiguous array whose data starts at a multiple of `alignment`."""
    dtype = np.dtype(dtype)
    shape = tuple(int(s) for s in shape) if isinstance(shape, (tuple, list)) else (int(shape),)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    raw = np.empty(nbytes + alignment, np.uint8)
    start = (-raw.ctypes.data) % alignment
    return raw[start:start + nbytes].view(dtype).reshape(shape)


def aligned_copy(array: np.ndarray, alignment: int = ALIGNMENT) -> np.ndarray:
    """A C-contiguous copy of `array` whose data starts at a multiple of `alignment`."""
    out = aligned_empty(array.shape, array.dtype, alignment)
    out[...] = array
    return out
