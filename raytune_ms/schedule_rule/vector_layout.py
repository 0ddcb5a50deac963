"""Put a vectorizable axis last in the layout of an intermediate that a tiled block writes, so that
MultiLevelTiling can give the block a register tile.

MultiLevelTiling's micro-kernel vectorizes the output's last axis, which must be a whole number
of vectors. A convolution in PyTorch's NCHW layout writes its output width last (56, 28, 14, 7
in ResNet-18: none a multiple of 16 lanes), so it got no register tile and accumulated in
memory, about 4x slower than PyTorch. Its output channels are a multiple of the vector width
and index the weight together with a reduction axis, as a matmul's columns index B. When the
block writes an intermediate buffer (an epilogue reads it: bias, batch norm, relu), its layout
is permuted so that such an axis is last (NCHW -> NHWC for the convolution's result); the
register tile, the packed weight panel and the write cache follow from it, and the epilogue,
which now reads it out of order, is still fused tile by tile (it transposes the tile into the
NCHW output). A function's own output keeps its layout (the caller's), and so does an output
whose last axis already fits.
"""

from __future__ import annotations

from ..schedule.primitives.block_common import is_param
from ..tir import IndexMap, Var, collect
from .block_analysis import BlockInfo


def vector_axis_last(sch, block, lanes: int) -> bool:
    """Permute the layout of the intermediate `block` writes so that its last dimension is a
    spatial axis whose extent is a multiple of `lanes` and that indexes an input together with a
    reduction axis, and no input the old last axis indexes (the weight, not the data: the
    vectors load the packed weight and broadcast the data; a depthwise convolution's channels
    also index the data and keep their place); the last such dimension. Whether it did. A no-op
    when the last dimension already is a multiple of `lanes`, the buffer is a parameter, or no
    dimension qualifies."""
    info = BlockInfo(sch, block)
    b = info.block
    if len(b.writes) != 1 or not b.writes[0].region or is_param(info.func, b.writes[0].buffer):
        return False
    ivs = list(b.iter_vars)
    ext = info.extents()
    if len(ext) != len(ivs):
        return False
    position = {id(iv.var): k for k, iv in enumerate(ivs)}
    dims = [position.get(id(r.min)) if isinstance(r.min, Var) else None for r in b.writes[0].region]
    if None in dims or len(set(dims)) != len(dims):
        return False
    if ext[dims[-1]] is not None and ext[dims[-1]] % lanes == 0:
        return False
    reduce = {id(iv.var) for iv in ivs if iv.kind == "reduce"}
    out = b.writes[0].buffer
    read_vars = [{id(v) for r in region.region for v in collect(r.min, Var)}
                 for region in b.reads if region.buffer is not out]
    chosen = None
    for d, k in enumerate(dims[:-1]):
        if ivs[k].kind != "spatial" or not ext[k] or ext[k] % lanes:
            continue
        var, last = id(ivs[k].var), id(ivs[dims[-1]].var)
        uses = [used for used in read_vars if var in used]
        if any(used & reduce for used in uses) and not any(last in used for used in uses):
            chosen = d
    if chosen is None:
        return False
    ndim = len(dims)
    idx = [Var(f"i{d}", "int32") for d in range(ndim)]
    order = [d for d in range(ndim) if d != chosen] + [chosen]
    sch.transform_layout(block, ("write", 0), IndexMap(idx, [idx[d] for d in order]))
    return True
