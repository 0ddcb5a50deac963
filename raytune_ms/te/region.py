"""Read regions of a block: for each buffer it reads, the range of each dimension touched by
one instance of the block, in terms of the block's iterators.

One access (or several identical ones) gives a point `[e, e + 1)` per dimension, as in
TensorIR; accesses whose affine forms differ only by constants give the hull
`[e_min, e_max + 1)`; anything else (data-dependent or differently-strided indices) gives the
whole dimension.
"""

from __future__ import annotations

from .. import tir
from ..tir.affine import affine_form
from ..tir.analysis import same_expr


def _dim_range(indices, extent: int) -> tir.Range:
    first = indices[0]
    if all(same_expr(first, e) for e in indices[1:]):
        if not tir.collect(first, tir.BufferLoad):
            return tir.Range(first, 1)
        return tir.Range(0, extent)
    forms = [affine_form(e) for e in indices]
    if all(f is not None and f[0] == forms[0][0] for f in forms):
        consts = [f[1] for f in forms]
        lowest = consts.index(min(consts))
        return tir.Range(indices[lowest], max(consts) - min(consts) + 1)
    return tir.Range(0, extent)


def read_regions(expr, exclude=None) -> list:
    """The BufferRegions `expr` reads, one per buffer in order of first use, skipping `exclude`."""
    accesses: dict = {}
    for load in tir.collect(expr, tir.BufferLoad):
        if load.buffer is not exclude:
            accesses.setdefault(load.buffer, []).append(load.indices)
    return [
        tir.BufferRegion(buf, [_dim_range([idx[d] for idx in idxs], buf.shape[d]) for d in range(buf.ndim)])
        for buf, idxs in accesses.items()
    ]
