"""cache_read and cache_write: stage a buffer through a copy in another storage scope.

The copy block loops over the whole buffer at the scope's top level (right before the first
consumer for cache_read, right after the producer for cache_write); compute_at /
reverse_compute_at then shrink it to a tile, and buffer compaction shrinks the cache buffer.
The new buffer and its copy block share one deterministic name, `<buffer>_<scope>`
(`_1`, `_2`, ... appended if taken).

The new buffer, the copy block and each redirected block are functions of what they are made
from, and the search makes the same ones in every replay of a design space; they are made once
and shared (IR nodes are immutable), so the analyses memoised per node find them known.
"""

from __future__ import annotations

from ... import tir
from ...tir import Buffer
from ...tir.buffer import SCOPES
from ...tir.buffer_access import arith_only
from ..error import ScheduleError
from ..tree import block_path, replace_path
from .block_common import (
    add_alloc,
    check_sole_writer,
    containing_child,
    copy_block,
    find_block,
    fresh_name,
    insert_into_block,
    loops_around,
    reads_buffer,
    region_buffer,
    siblings,
    stmt_list,
    writes_buffer,
)


def _check_scope(prim, block_name, scope):
    if scope not in SCOPES:
        raise ScheduleError(f"{prim} (block {block_name!r}): storage scope must be one of {SCOPES}, "
                            f"got {scope!r}")


def _named_consumers(prim, blocks, names, buf, me_name):
    by_name = {b.block.name: b for b in blocks}
    out = []
    for n in names:
        b = by_name.get(n)
        if b is None:
            raise ScheduleError(f"{prim}: consumer block {n!r} is not in the scope of block {me_name!r}")
        if not reads_buffer(b, buf) or writes_buffer(b, buf):
            raise ScheduleError(f"{prim}: block {n!r} does not read buffer {buf.name!r} (only)")
        out.append(b)
    return out


_MADE: dict = {}  # key -> (the nodes it was made from, what was made)
_MADE_CAP = 1 << 12


def _made(key, sources, make):
    """`make()`, or what it gave before for the same `key` and `sources` (by identity)."""
    hit = _MADE.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], sources)):
        return hit[1]
    out = make()
    if len(_MADE) >= _MADE_CAP:
        _MADE.clear()
    _MADE[key] = (sources, out)
    return out


def _cache_buffer(name, buf, scope):
    return _made(("buffer", name, id(buf), scope), (buf,), lambda: Buffer(name, buf.shape, buf.dtype, scope))


def _copy(name, src, dst):
    """copy_nest(name, src, dst): the block made once, new loops around it."""
    block = _made(("copy", name, id(src), id(dst)), (src, dst), lambda: copy_block(name, src, dst))
    return loops_around(block, src.shape)


def _redirect(func, realizes, old, new):
    """`func`'s body with buffer `old` replaced by `new` inside the given blocks (the first
    block's path comes from the function's cached index, the others' from a walk)."""
    body = func.body
    for k, r in enumerate(realizes):
        path = block_path(func, r.block.name) if k == 0 else find_block(body, r.block.name)
        body = replace_path(path, _redirected(path[-1], old, new))
    return body


def _redirected(realize, old, new):
    """`tir.substitute(realize, {old: new})`. Its bindings and predicate are rebuilt by every
    split above it, but hold no buffer: only its block (the same in every replay) changes."""
    if not (arith_only(realize.predicate) and all(arith_only(v) for v in realize.iter_values)):
        return tir.substitute(realize, {old: new})
    block = realize.block
    swapped = _made(("redirect", id(block), id(old), id(new)), (block, old, new),
                    lambda: tir.substitute(block, {old: new}))
    return realize if swapped is block else realize.with_field("block", swapped)


def cache_read(func, block_name, read_buffer_index, storage_scope, consumer_block_names=None):
    """Read the `read_buffer_index`-th read buffer of `block_name` through a copy in
    `storage_scope`; all of its consumers (or the named ones) read the copy.
    Returns (func, name of the copy block)."""
    prim = "cache_read"
    _check_scope(prim, block_name, storage_scope)
    path, scope, blocks = siblings(func, block_name)
    me = path[-1]
    buf = region_buffer(prim, me.block, me.block.reads, read_buffer_index, "read")
    if writes_buffer(me, buf):
        raise ScheduleError(f"{prim}: block {block_name!r} both reads and writes {buf.name!r}")
    if consumer_block_names is None:
        consumers = [b for b in blocks if reads_buffer(b, buf) and not writes_buffer(b, buf)]
    else:
        consumers = _named_consumers(prim, blocks, list(consumer_block_names), buf, block_name)
    if not consumers:
        raise ScheduleError(f"{prim}: no consumer of {buf.name!r} to redirect")
    kids = stmt_list(scope.block.body)
    first = min(containing_child(kids, c) for c in consumers)
    writers = [containing_child(kids, b) for b in blocks if writes_buffer(b, buf)]
    if any(w >= first for w in writers):
        raise ScheduleError(
            f"{prim}: buffer {buf.name!r} is written in the same or a later top-level statement "
            f"than its first consumer in block {scope.block.name!r}; no place for the copy")
    name = fresh_name(func, f"{buf.name}_{storage_scope}")
    new_buf = _cache_buffer(name, buf, storage_scope)
    body = _redirect(func, consumers, buf, new_buf)
    body = insert_into_block(body, scope.block.name, _copy(name, buf, new_buf), first)
    body = add_alloc(body, scope.block.name, new_buf)
    return func.with_body(body), name


def cache_write(func, block_name, write_buffer_index, storage_scope, consumer_block_names=None):
    """Make `block_name` write its `write_buffer_index`-th buffer into a copy in
    `storage_scope`, copied back right after; the named consumers read the copy directly.
    Returns (func, name of the write-back block)."""
    prim = "cache_write"
    _check_scope(prim, block_name, storage_scope)
    path, scope, blocks = siblings(func, block_name)
    me = path[-1]
    buf = region_buffer(prim, me.block, me.block.writes, write_buffer_index, "written")
    check_sole_writer(func, scope, me, buf)
    consumers = _named_consumers(prim, blocks, list(consumer_block_names or ()), buf, block_name)
    kids = stmt_list(scope.block.body)
    at = containing_child(kids, me)
    early = [b.block.name for b in blocks if b is not me and reads_buffer(b, buf)
             and b not in consumers and containing_child(kids, b) <= at]
    if early:
        raise ScheduleError(
            f"{prim}: {early} read {buf.name!r} inside the same top-level statement as block "
            f"{block_name!r}; the write-back would come too late for them")
    name = fresh_name(func, f"{buf.name}_{storage_scope}")
    new_buf = _cache_buffer(name, buf, storage_scope)
    body = _redirect(func, [me] + consumers, buf, new_buf)
    body = insert_into_block(body, scope.block.name, _copy(name, new_buf, buf), at + 1)
    body = add_alloc(body, scope.block.name, new_buf)
    return func.with_body(body), name
