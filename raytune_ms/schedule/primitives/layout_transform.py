"""transform_layout: give a buffer a new shape and rewrite every access to it through an index
map, e.g. `(k, j) -> (j // 16, k, j % 16)` stores a [K][N] matrix as [N/16][K][16] panels.

The buffer keeps its name and scope; its loads, stores, read/write regions, allocation and (for a
parameter) the function's signature all change together, so the program computes the same thing
on the rearranged data. The map must be a bijection onto the new shape (no padding): that is what
lets a caller convert an array once with `IndexMap.apply_to_array`.
"""

from __future__ import annotations

from ... import tir
from ...tir import Block, BufferLoad, BufferRegion, BufferStore, Range, Var
from ...tir.arith import bound
from ...tir.index_map import IndexMap, IndexMapError
from ..error import ScheduleError
from ..tree import block_path
from .block_common import region_buffer

BUFFER_INDEX_TYPES = ("read", "write")


def resolve_buffer(prim, block, buffer) -> tuple:
    """(buffer_index, buffer_index_type) of `buffer`: ("read"|"write", i) or a buffer name."""
    if isinstance(buffer, str):
        for kind, regions in (("read", block.reads), ("write", block.writes)):
            for i, r in enumerate(regions):
                if r.buffer.name == buffer:
                    return i, kind
        names = sorted({r.buffer.name for r in block.reads + block.writes})
        raise ScheduleError(f"{prim}: block {block.name!r} accesses no buffer named {buffer!r}; it has {names}")
    if (not isinstance(buffer, (tuple, list)) or len(buffer) != 2 or buffer[0] not in BUFFER_INDEX_TYPES):
        raise ScheduleError(f"{prim}: buffer must be ('read'|'write', index) or a buffer name, got {buffer!r}")
    return int(buffer[1]), buffer[0]


def transform_layout(func, block_name, buffer_index, buffer_index_type, index_map):
    """`func` with the `buffer_index`-th read/written buffer of `block_name` re-laid out by
    `index_map` (an IndexMap or a function of the indices). Returns (func, the IndexMap)."""
    prim = "transform_layout"
    block = block_path(func, block_name)[-1].block
    regions = block.reads if buffer_index_type == "read" else block.writes
    buf = region_buffer(prim, block, regions, buffer_index, buffer_index_type)
    where = f"{prim} (block {block_name!r}, buffer {buf.name!r})"
    if buf.strides:
        raise ScheduleError(f"{where}: the buffer has padded strides (storage_align); transform it first")
    is_param = any(p is buf for p in func.params)
    if not is_param and not _allocated(func.body, buf):
        raise ScheduleError(f"{where}: the buffer is neither a parameter nor allocated in the function")
    try:
        imap = IndexMap.from_func(index_map, buf.ndim)
        new_shape = imap.check_bijective(buf.shape)
    except IndexMapError as e:
        raise ScheduleError(f"{where}: {e}") from None
    new = tir.Buffer(buf.name, new_shape, buf.dtype, buf.scope)
    doms = _iter_doms(func.body)

    def post(n):
        if isinstance(n, BufferLoad) and n.buffer is buf:
            return BufferLoad(new, imap.map_indices(n.indices, doms))
        if isinstance(n, BufferStore) and n.buffer is buf:
            return BufferStore(new, n.value, imap.map_indices(n.indices, doms))
        if isinstance(n, BufferRegion) and n.buffer is buf:
            return BufferRegion(new, _map_region(imap, n.region, new_shape, doms))
        if isinstance(n, Block):
            changes = {}
            if any(b is buf for b in n.alloc_buffers):
                changes["alloc_buffers"] = tuple(new if b is buf else b for b in n.alloc_buffers)
            return n.replace(**changes) if changes else None
        return None

    body = tir.transform(func.body, post=post)
    params = tuple(new if p is buf else p for p in func.params)
    return tir.PrimFunc(params, body, func.attrs), imap


def _allocated(body, buf) -> bool:
    return any(any(b is buf for b in blk.alloc_buffers) for blk in tir.collect(body, Block))


def _iter_doms(body) -> dict:
    """Block iterator -> its domain, over the whole function (regions are written in them)."""
    return {iv.var: iv.dom for blk in tir.collect(body, Block) for iv in blk.iter_vars}


def _map_region(imap, region, new_shape, doms):
    """The new-layout box covering the image of `region`: exact for a point, else the bounds
    of each new index over the box (the whole dimension where they cannot be bounded)."""
    if all(isinstance(r.extent, tir.IntImm) and r.extent.value == 1 for r in region):
        return [Range(x, 1) for x in imap.map_indices([r.min for r in region], doms)]
    offsets, ranges = [], dict(doms)
    for d, r in enumerate(region):
        t = Var(f"t{d}")
        ranges[t] = Range(0, r.extent)
        offsets.append(r.min + t)
    out = []
    for d, e in enumerate(imap.map_indices(offsets, ranges)):
        lo, hi = bound(e, ranges)
        if lo is None or hi is None:
            lo, hi = 0, new_shape[d] - 1
        out.append(Range(max(lo, 0), min(hi, new_shape[d] - 1) - max(lo, 0) + 1))
    return out
