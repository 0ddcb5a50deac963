"""Shared machinery of the block primitives: scopes, writers and readers of a buffer among
sibling blocks, removing a block with the loops that only held it, inserting a statement among
a loop's children, fresh names, and copy loop nests.

Each primitive builds its result with these helpers and returns a new PrimFunc; the input is
never modified (nodes are immutable), so a ScheduleError leaves the caller's function intact.
"""

from __future__ import annotations

from ... import tir
from ...tir import Block, BlockRealize, BufferRegion, BufferStore, For, IterVar, Range, SeqStmt, Var
from ...tir.buffer_access import accessed_buffer_ids, loaded_buffer_ids, stored_buffer_ids
from ..error import ScheduleError
from ..tree import block_ids, block_path, child_blocks, enclosing_block, find_path, named_blocks, replace_path


def scope_realize(path) -> BlockRealize:
    """The BlockRealize of the scope block above the end of `path`."""
    scope = enclosing_block(path)
    if scope is None:
        raise ScheduleError(f"{_what(path[-1])} has no enclosing scope block")
    return scope


def _what(s) -> str:
    if isinstance(s, BlockRealize):
        return f"block {s.block.name!r}"
    if isinstance(s, For):
        return f"loop {s.loop_var.name!r}"
    return type(s).__name__


def siblings(func, block_name) -> tuple:
    """(path of the block, the scope BlockRealize, child blocks of the scope in program order)."""
    path = block_path(func, block_name)
    scope = scope_realize(path)
    return path, scope, child_blocks(scope)


def writes_buffer(realize: BlockRealize, buf) -> bool:
    return any(r.buffer is buf for r in realize.block.writes) or _stores_to(realize.block, buf)


def writes_any(realize: BlockRealize, ids) -> bool:
    """`writes_buffer` for several buffers at once (`ids`: a set of their ids)."""
    block = realize.block
    return any(id(r.buffer) in ids for r in block.writes) or not ids.isdisjoint(stored_buffer_ids(block))


def reads_buffer(realize: BlockRealize, buf) -> bool:
    return any(r.buffer is buf for r in realize.block.reads) or _loads_from(realize.block, buf)


def _stores_to(block, buf) -> bool:
    return id(buf) in stored_buffer_ids(block)


def _loads_from(block, buf) -> bool:
    return id(buf) in loaded_buffer_ids(block.body)


def _buffers(regions) -> list:
    """The buffers of `regions`, each once, in order."""
    out = []
    for r in regions:
        if r.buffer not in out:
            out.append(r.buffer)
    return out


def written_buffers(block: Block) -> list:
    return _buffers(block.writes)


def read_buffers(block: Block) -> list:
    return _buffers(block.reads)


def is_param(func, buf) -> bool:
    return any(p is buf for p in func.params)


def region_buffer(prim, block, regions, index, what):
    """The buffer of `regions[index]` (a block's reads or writes), with a clear error."""
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(regions):
        raise ScheduleError(
            f"{prim}: block {block.name!r} has {len(regions)} {what} buffer(s) "
            f"({', '.join(r.buffer.name for r in regions) or 'none'}); index {index!r} is out of range")
    return regions[index].buffer


def check_sole_writer(func, scope, block_realize, buf) -> None:
    others = [b.block.name for b in child_blocks(scope)
              if b is not block_realize and writes_buffer(b, buf)]
    if others:
        raise ScheduleError(
            f"block {block_realize.block.name!r}: buffer {buf.name!r} is also written by "
            f"{', '.join(repr(n) for n in others)}; it must be the only writer in its scope")


# ---------------------------------------------------------------------------- names


def taken_names(func) -> set:
    names = {p.name for p in func.params}
    if isinstance(func.body, BlockRealize):  # every block sits in a BlockRealize: the index has it
        blocks = [r.block for r in named_blocks(func)]
    else:
        blocks = tir.collect(func.body, Block)
    for node in blocks:
        names.add(node.name)
        names.update(b.name for b in node.alloc_buffers)
    return names


def fresh_name(func, base: str, also=()) -> str:
    """`base`, or `base_1`, `base_2`, ... : unique among block and buffer names."""
    taken = taken_names(func) | set(also)
    name, k = base, 1
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    return name


# ---------------------------------------------------------------------------- editing


def stmt_list(s) -> list:
    return list(s.seq) if isinstance(s, SeqStmt) else [s]


def remove_block(body, path_from_body) -> object:
    """`body` without the BlockRealize at the end of the path and the For loops that held only
    it. The path must start at `body`."""
    i = len(path_from_body) - 1
    while i > 0 and isinstance(path_from_body[i - 1], For):
        i -= 1
    if i == 0:
        raise ScheduleError("cannot remove the only statement of the function")
    parent, victim = path_from_body[i - 1], path_from_body[i]
    if isinstance(parent, SeqStmt):
        rest = [s for s in parent.seq if s is not victim]
        new_parent = tir.seq(*rest)
    elif isinstance(parent, Block):
        new_parent = parent.replace(body=tir.Evaluate(0))
    else:
        raise ScheduleError(f"cannot remove {_what(path_from_body[-1])} from a {type(parent).__name__}")
    return replace_path(path_from_body[: i], new_parent)


def remove_alloc(body, scope_name: str, buf) -> object:
    """Drop `buf` from the alloc_buffers of block `scope_name` if nothing uses it any more."""
    if id(buf) in accessed_buffer_ids(body):
        return body
    path = find_path(body, lambda s: isinstance(s, Block) and s.name == scope_name)
    blk = path[-1]
    return replace_path(path, blk.replace(alloc_buffers=[b for b in blk.alloc_buffers if b is not buf]))


def add_alloc(body, scope_name: str, buf) -> object:
    path = find_path(body, lambda s: isinstance(s, Block) and s.name == scope_name)
    blk = path[-1]
    return replace_path(path, blk.replace(alloc_buffers=list(blk.alloc_buffers) + [buf]))


def insert_into_loop(body, loop_var, stmt, position: int) -> object:
    """`body` with `stmt` inserted as child number `position` of loop `loop_var`'s body."""
    path = find_path(body, lambda s: isinstance(s, For) and s.loop_var is loop_var)
    loop = path[-1]
    kids = stmt_list(loop.body)
    kids.insert(position, stmt)
    return replace_path(path, loop.replace(body=tir.seq(*kids)))


def insert_into_block(body, block_name: str, stmt, position: int) -> object:
    path = find_path(body, lambda s: isinstance(s, Block) and s.name == block_name)
    blk = path[-1]
    kids = stmt_list(blk.body)
    kids.insert(position, stmt)
    return replace_path(path, blk.replace(body=tir.seq(*kids)))


def containing_child(children, realize) -> int:
    """Index of the child statement whose subtree holds `realize`, or -1."""
    for i, c in enumerate(children):
        if id(realize) in block_ids(c):
            return i
    return -1


def copy_nest(name: str, src, dst, shape=None, value_of=None) -> tir.Stmt:
    """Loops over the whole of `src` (same shape as `dst`; or over `shape`) around a block
    `dst[v] = src[v]` (or `= value_of(v)`, an expression reading src at v)."""
    shape = src.shape if shape is None else shape
    return loops_around(copy_block(name, src, dst, shape, value_of), shape)


def copy_block(name: str, src, dst, shape=None, value_of=None) -> Block:
    """The block of `copy_nest`, iterating over the whole of `shape` (`src`'s by default)."""
    shape = src.shape if shape is None else shape
    ivs = [IterVar(Var(f"v{d}"), Range(0, n), "spatial") for d, n in enumerate(shape)]
    vs = [iv.var for iv in ivs]
    point = [Range(v, 1) for v in vs]
    return Block(
        name, ivs,
        reads=[BufferRegion(src, point)],
        writes=[BufferRegion(dst, point)],
        body=BufferStore(dst, tir.BufferLoad(src, vs) if value_of is None else value_of(vs), vs),
    )


def loops_around(block: Block, shape) -> tir.Stmt:
    """New loops over `shape` (the domains of `block`'s iterators) around it, bound one to one."""
    loops = [Var(f"ax{d}") for d in range(len(shape))]
    nest = BlockRealize(loops, True, block)
    for v, n in reversed(list(zip(loops, shape))):
        nest = For(v, 0, n, "serial", nest)
    return nest


def find_block(body, name: str) -> list:
    """Path from `body` to the BlockRealize of block `name` (None if absent)."""
    return find_path(body, lambda s: isinstance(s, BlockRealize) and s.block.name == name)
