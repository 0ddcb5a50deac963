"""Producer/consumer relations between sibling blocks (compute_at stands on them).

Two blocks of the same scope are related through a buffer: a producer of block B writes a
buffer B reads (per its read regions or loads, so an update block's accumulator counts) and
comes before B in program order; a consumer reads a buffer B writes and
comes after it. (Program order, because after compute_at a producer sits inside its consumer's
loops but still runs before it in every iteration.)
"""

from __future__ import annotations

from ...tir.buffer_access import loaded_buffer_ids
from .block_common import reads_buffer, siblings, writes_any, written_buffers


def _input_ids(block) -> frozenset:
    """ids of the buffers `block` reads: its read regions and every load in it."""
    return frozenset([id(r.buffer) for r in block.reads]) | loaded_buffer_ids(block)


def _producers(blocks, me) -> list:
    i = blocks.index(me)
    ids = _input_ids(me.block)
    return [b for b in blocks[:i] if writes_any(b, ids)]


def _consumers(blocks, me) -> list:
    i = blocks.index(me)
    bufs = written_buffers(me.block)
    return [b for b in blocks[i + 1:] if any(reads_buffer(b, x) for x in bufs)]


def producer_realizes(func, block_name) -> list:
    _, _, blocks = siblings(func, block_name)
    me = next(b for b in blocks if b.block.name == block_name)
    return _producers(blocks, me)


def consumer_realizes(func, block_name) -> list:
    _, _, blocks = siblings(func, block_name)
    me = next(b for b in blocks if b.block.name == block_name)
    return _consumers(blocks, me)


def producers(func, block_name) -> list:
    """Names of the blocks of the same scope that write what `block_name` reads, before it."""
    return [b.block.name for b in producer_realizes(func, block_name)]


def consumers(func, block_name) -> list:
    """Names of the blocks of the same scope that read what `block_name` writes, after it."""
    return [b.block.name for b in consumer_realizes(func, block_name)]
