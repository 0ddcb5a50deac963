"""Embedding lookup: out[..., j] = weight[indices[...], j] for an integer index tensor (int64 as
PyTorch passes it).

Indices are data: an out-of-range index cannot be caught when the program is built, and the
generated code does not check it at run time (torch raises); callers validate indices.
"""

from __future__ import annotations

from .. import te
from ..tir.dtype import is_int
from .shapes import check_ndim


def embedding(weight, indices, name: str = "T_embedding"):
    """Rows of `weight` (num_embeddings, dim) selected by `indices` (any shape), aten's order."""
    check_ndim(weight, 2, "embedding", "weight")
    if not is_int(indices.dtype):
        raise TypeError(f"embedding: indices {indices.name!r} must be an integer tensor, got {indices.dtype}")
    return te.compute(
        indices.shape + (weight.shape[1],),
        lambda *idx: weight[indices[idx[:-1]], idx[-1]],
        name=name,
    )
