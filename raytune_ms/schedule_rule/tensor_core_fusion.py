"""Folding the copies MultiLevelTilingTensorCore makes around a GEMM (pad_einsum's zero-padded
inputs and cut-back output, reindex's operand and output copies) into the GEMM's own kernel,
as the reference does:

- an input copy feeding a shared-memory fetch is inlined into it: the fetch reads the original
  tensor through the copy's index and, for padding, a select that is zero outside it (the
  reference's `if_then_else` in the cache_read);
- an output copy after the shared-memory write-back stage (the fragments stored to a shared
  tile, the warp's lanes copying it out) is reverse-inlined into that copy: the cut-back becomes
  a predicate on the write-back, a reindexed output's copy its index. What follows (bias, relu)
  is then AutoInline's to fuse into the same write-back.

Only blocks the rule created (`created`, their names) are folded; a copy that cannot be folded
stays a kernel of its own.
"""

from __future__ import annotations

from ..schedule import ScheduleError
from ..tir import Block, collect
from .block_analysis import BlockInfo


def block_names(sch) -> set:
    return {b.name for b in collect(sch.mod[sch.func_working_on].body, Block)}


def _fold(sch, block, related, inline, created) -> None:
    while True:
        names = [n for n in related(BlockInfo(sch, block)) if n in created]
        if len(names) != 1:
            return
        try:
            inline(sch.get_block(names[0]))
        except ScheduleError:
            return


def fold_into_fetch(sch, fetch, created) -> None:
    """Inline the created copies that feed the shared fetch block `fetch` into it."""
    _fold(sch, fetch, BlockInfo.producers, sch.compute_inline, created)


def fold_into_write_back(sch, write_back, created) -> None:
    """Reverse-inline the created copies that follow the write-back block `write_back` into it."""
    _fold(sch, write_back, BlockInfo.consumers, sch.reverse_compute_inline, created)
