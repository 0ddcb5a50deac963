"""MultiLevelTiling for GPUs (the reference's CUDA default): "SSSRRSRS" — spatial loops split
five ways into levels 0, 1, 2, 5, 7, reduction loops three ways into levels 3, 4, 6 — with the
first levels fused and bound to `tile_binds` (blockIdx.x, vthread.x, threadIdx.x: a thread
block's tile, its virtual threads, its threads), then:

- write reuse ("must" at level 3, "local"): the output tile of a thread accumulates in
  registers (a cache_write under the threadIdx loop), or the block's only element-wise
  consumer is computed there (as on CPUs, shared code in multi_level_tiling.py);
- read reuse ("must" at level 4, "shared"): every input is staged in shared memory under the
  outer reduction loop (cache_read + compute_at; the fetch covers the tile of the whole thread
  block), its loops fused into one annotated `meta_schedule.cooperative_fetch` with a vector
  length drawn uniformly from `vector_load_lens` (those whose vector is at most 16 bytes, and
  for 2-byte types 1 or even). RewriteCooperativeFetch later spreads that loop over the
  block's threads and vectorizes it.

Shared memory: with the tune context's CUDA target, a loop whose whole block tile would let the
staged inputs exceed max_shared_memory_per_block is split in two first, the block tile drawn
at most its bound (sample_perfect_tile with that bound as the innermost limit, see
shared_footprint.py), and the block tile then split into the inner levels; loops that need no
bound are tiled as in the reference (one sample_perfect_tile). Without the bounds almost every
draw of C3D staged megabytes. Threads and virtual threads are not bounded here: VerifyGPUCode
rejects a candidate with too many, as in the reference.
"""

from __future__ import annotations

from ..schedule import ScheduleError
from ..tir import bytes_of
from .block_analysis import BlockInfo
from .multi_level_tiling import MultiLevelTiling
from .shared_footprint import block_tile_caps

COOPERATIVE_FETCH_KEY = "meta_schedule.cooperative_fetch"


def vector_lens_for(dtype: str, lens) -> list:
    """The vector load lengths usable for a buffer of `dtype` (at most 16 bytes; for 2-byte
    types 1 or even)."""
    size = bytes_of(dtype)
    return [n for n in lens if n * size <= 16 and (size != 2 or n == 1 or n % 2 == 0)] or [1]


class MultiLevelTilingCuda(MultiLevelTiling):
    def __init__(self, structure: str = "SSSRRSRS", tile_binds=("blockIdx.x", "vthread.x", "threadIdx.x"),
                 max_innermost_factor: int = 64, vector_load_lens=(1, 2, 3, 4, 8, 16),
                 reuse_read=None, reuse_write=None, filter_fn=None):
        super().__init__(structure, list(tile_binds), max_innermost_factor, list(vector_load_lens or []),
                         reuse_read if reuse_read is not None else {"req": "must", "levels": [4], "scope": "shared"},
                         reuse_write if reuse_write is not None else {"req": "must", "levels": [3], "scope": "local"},
                         filter_fn, vector_tiling=False)
        if len(self.tile_binds) > self.structure.index("R"):
            raise ValueError(f"MultiLevelTilingCuda: {len(self.tile_binds)} tile_binds for structure "
                             f"{self.structure!r}, whose first {self.structure.index('R')} levels are spatial")
        self.max_shared_memory_per_block = None
        self._caps: dict = {}

    def _initialize_with_tune_context(self, context) -> None:
        """The shared-memory limit the block tiles are bounded by (a CUDA target's)."""
        target = getattr(context, "target", None)
        if target is not None and target.kind == "cuda":
            self.max_shared_memory_per_block = target.max_shared_memory_per_block

    def _split(self, sch, loop, n, fixed=(), limit=None):
        """A bounded loop: its block tile drawn first (at most the bound), then split."""
        cap = self._caps.get(id(sch.get(loop).loop_var))
        if cap is None or n < 2:
            return super()._split(sch, loop, n, fixed, limit)
        outer, tile = sch.split(loop, sch.sample_perfect_tile(loop, 2, cap))
        return [outer] + super()._split(sch, tile, n - 1, fixed, limit)

    def _tile(self, sch, block, info):
        extents = info.extents()
        if self.max_shared_memory_per_block and None not in extents:
            caps = block_tile_caps(info.block, extents, self.max_shared_memory_per_block)
            self._caps = {id(f.loop_var): c for f, c, e in zip(info.loops, caps, extents) if c < e}
        try:
            state = super()._tile(sch, block, info)
        finally:
            self._caps = {}
        tiles = list(state.tiles)
        for level, tag in enumerate(self.tile_binds):
            loops = tiles[level]
            fused = sch.fuse(*loops) if len(loops) > 1 else loops[0]
            sch.bind(fused, tag)
            tiles[level] = [fused]
        state.tiles = tiles
        return state

    def _read_reuse(self, states, block) -> list:
        cfg = self.reuse_read
        if cfg["req"] == "no":
            return states
        out = []
        for state in states:
            b = BlockInfo(state.sch, block).block
            written = {id(r.buffer) for r in b.writes}
            inputs = [(n, r.buffer) for n, r in enumerate(b.reads) if id(r.buffer) not in written]
            for level in cfg["levels"]:
                new = state.copy()
                loop = self._level_loop(new, level)
                if loop is None:
                    continue
                try:
                    for n, buf in inputs:
                        self._fetch(new.sch, block, n, buf, loop, cfg["scope"])
                except ScheduleError:
                    continue
                out.append(new)
            if cfg["req"] == "may":
                out.append(state)
        return out or states

    def _fetch(self, sch, block, index, buf, loop, scope) -> None:
        cache = sch.cache_read(block, index, scope)
        sch.compute_at(cache, loop, preserve_unit_loops=True)
        loops = sch.get_loops(cache)[-len(buf.shape):]
        fused = sch.fuse(*loops) if len(loops) > 1 else loops[0]
        lens = vector_lens_for(buf.dtype, self.vector_load_lens)
        vec = lens[0] if len(lens) == 1 else sch.sample_categorical(lens, [1.0 / len(lens)] * len(lens))
        sch.annotate(fused, COOPERATIVE_FETCH_KEY, vec)
