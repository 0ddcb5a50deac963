"""storage_align: pad a dimension's stride of an intermediate buffer so that
`stride % factor == offset` (e.g. shared-memory rows offset to avoid bank conflicts).

The strides go on the Buffer, everywhere it appears; codegen addresses through them. Padding
set earlier on other dimensions is kept, so several calls compose.
"""

from __future__ import annotations

from ... import tir
from ...tir.analysis import aligned_strides
from ..error import ScheduleError
from ..tree import block_path
from .block_common import is_param, region_buffer


def storage_align(func, block_name, buffer_index, axis, factor, offset):
    """Pad the stride of dimension `axis` of the `buffer_index`-th buffer written by
    `block_name` to the smallest value >= its natural one with `stride % factor == offset`."""
    prim = "storage_align"
    path = block_path(func, block_name)
    block = path[-1].block
    buf = region_buffer(prim, block, block.writes, buffer_index, "written")
    if is_param(func, buf):
        raise ScheduleError(f"{prim}: buffer {buf.name!r} written by block {block_name!r} is a "
                            "parameter of the function; its layout is fixed")
    for what, v in (("axis", axis), ("factor", factor), ("offset", offset)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise ScheduleError(f"{prim} of {buf.name!r} (block {block_name!r}): {what} must be "
                                f"an int, got {v!r}")
    ndim = buf.ndim
    if not -ndim <= axis < ndim:
        raise ScheduleError(f"{prim} (block {block_name!r}): axis {axis} is out of range for the "
                            f"{ndim}-d buffer {buf.name!r}")
    axis %= ndim
    if axis == ndim - 1:
        raise ScheduleError(f"{prim} (block {block_name!r}): axis {axis} of buffer {buf.name!r} is "
                            "the innermost dimension (stride 1); align an outer dimension")
    if factor <= 0 or not 0 <= offset < factor:
        raise ScheduleError(f"{prim} of {buf.name!r} (block {block_name!r}): need factor > 0 and "
                            f"0 <= offset < factor, got factor={factor}, offset={offset}")
    new_buf = buf.replace(strides=aligned_strides(buf.shape, buf.strides, axis, factor, offset))
    return func.with_body(tir.substitute(func.body, {buf: new_buf}))
