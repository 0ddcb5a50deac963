"""How much shared memory a thread block's tile stages, and per-loop bounds on the block tile
that keep it within a GPU's max_shared_memory_per_block.

MultiLevelTilingCuda stages every input of a block in shared memory under the outer
reduction tiles: the staged region of an input is what the block's tile of the loops touches
(the tile of loop k: the product of its pieces at the levels the fetch spans, those under the
fetch's loop and the thread-bound ones above it, multi_level_tiling_cuda.staged_levels). A read
index `sum(c_k * v_k) + b` over tiles t_k covers `sum(|c_k| * (t_k - 1)) + extent` elements of
its dimension (at most the dimension), so a convolution's input window grows with the stride
and the kernel size. Indices that are not affine in the block's iterators count as the whole
dimension.

Drawn independently, the reference's tiles of a large convolution (C3D) stage megabytes in
almost every draw. `block_tile_caps` bounds each loop's block tile instead: from the whole
extents, it shrinks the loop whose next smaller divisor cuts the footprint most, until the
tiles at their bounds fit. Every tile within the bounds then fits too (the footprint grows
with each tile).
"""

from __future__ import annotations

from ..schedule.sampling import divisors
from ..tir import bytes_of
from ..tir.affine import affine_form


def staged_inputs(block, output: bool = False, copies: int = 1) -> list:
    """(bytes staged per element of the tile, per dimension: ({iterator index: |coef|}, extent)
    or None for a non-affine index, the dimension's size) of each input of `block` that it does
    not write, and with `output` of its output too (a tile staged in shared memory on its way
    out, as the tensor-core rule's write-back stage does). An input tile is staged in `copies`
    copies (a software pipeline's buffers), so its bytes per element are its element size times
    that; the output tile is staged once."""
    index = {id(iv.var): k for k, iv in enumerate(block.iter_vars)}
    written = {id(w.buffer) for w in block.writes}
    out = []
    staged = [(r, copies) for r in block.reads if id(r.buffer) not in written]
    for r, n in staged + ([(w, 1) for w in block.writes] if output else []):
        dims = []
        for rng, size in zip(r.region, r.buffer.shape):
            form = affine_form(rng.min)
            ext = getattr(rng.extent, "value", None)
            if form is None or ext is None or any(id(v) not in index for v in form[0]):
                dims.append((None, size))
            else:
                dims.append(((({index[id(v)]: abs(c) for v, c in form[0].items()}), ext), size))
        out.append((bytes_of(r.buffer.dtype) * n, dims))
    return out


def footprint(inputs, tiles) -> int:
    """Bytes of shared memory staged for block tiles `tiles` (one per iterator)."""
    total = 0
    for nbytes, dims in inputs:
        elems = 1
        for affine, size in dims:
            if affine is None:
                elems *= size
            else:
                coefs, ext = affine
                elems *= min(size, sum(c * (tiles[k] - 1) for k, c in coefs.items()) + ext)
        total += elems * nbytes
    return total


def block_tile_caps(block, extents, limit: int, output: bool = False, granules=None, copies: int = 1) -> list:
    """Per iterator of `block` (loop extents `extents`), the largest block tile to draw so that
    the staged inputs (in `copies` copies; with `output` the output tile too) fit `limit` bytes
    (the extent itself where no bound is needed). `granules` (per iterator, default 1) are the
    steps the tiles come in (a tensor intrinsic's 16): a cap is a multiple of its granule, so
    the smallest tile that can be drawn is what the bound counts."""
    inputs = staged_inputs(block, output, copies)
    granules = list(granules or [1] * len(extents))
    caps = list(extents)
    current = footprint(inputs, caps)
    while current > limit:
        best = None
        for k, cap in enumerate(caps):
            g = granules[k]
            smaller = [g * d for d in divisors(extents[k] // g) if g * d < cap]
            if not smaller:
                continue
            trial = caps[:k] + [smaller[-1]] + caps[k + 1:]
            f = footprint(inputs, trial)
            if best is None or f < best[0]:
                best = (f, trial)
        if best is None:
            break
        current, caps = best
    return caps
