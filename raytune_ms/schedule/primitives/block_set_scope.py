"""set_scope: move an intermediate buffer to another storage scope (global/shared/local)."""

from __future__ import annotations

from ... import tir
from ...tir.buffer import SCOPES
from ..error import ScheduleError
from ..tree import block_path
from .block_common import is_param, region_buffer


def set_scope(func, block_name, buffer_index, storage_scope):
    """The `buffer_index`-th buffer written by `block_name`, re-declared in `storage_scope`
    everywhere it appears (allocation, accesses, regions)."""
    prim = "set_scope"
    if storage_scope not in SCOPES:
        raise ScheduleError(f"{prim} (block {block_name!r}): storage scope must be one of "
                            f"{SCOPES}, got {storage_scope!r}")
    block = block_path(func, block_name)[-1].block
    buf = region_buffer(prim, block, block.writes, buffer_index, "written")
    if is_param(func, buf):
        raise ScheduleError(f"{prim}: buffer {buf.name!r} written by block {block_name!r} is a "
                            "parameter of the function; its scope is fixed")
    if buf.scope == storage_scope:
        return func
    new = buf.replace(scope=storage_scope)
    return func.with_body(tir.substitute(func.body, {buf: new}))
