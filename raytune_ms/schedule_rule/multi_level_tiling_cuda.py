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

Shared memory: with the tune context's CUDA target, a loop whose whole shared tile would let the
staged inputs exceed max_shared_memory_per_block is split in two first, the shared tile drawn
at most its bound (sample_perfect_tile with that bound as the innermost limit, see
shared_footprint.py), and each part then split into its levels; loops that need no bound are
tiled as in the reference (one sample_perfect_tile). A loop's shared tile is the pieces of the
levels a fetch spans (`staged_levels`): those under the fetch's loop and the threadIdx- or
vthread-bound ones above it, not the blockIdx-bound ones (each thread block has its own
shared memory) nor the outer reduction loops the fetch is repeated in. Without the bounds almost every
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


def staged_levels(levels, fetch_level: int, tile_binds) -> int:
    """How many of a loop's tile `levels` (outermost first) a shared fetch at `fetch_level` (under
    the last loop of level fetch_level - 1) spans, from the first such level on: those at or
    under the fetch's level and the ones above it bound within a thread block (threadIdx,
    vthread: a shared tile is the whole block's)."""
    for n, level in enumerate(levels):
        inside = level < len(tile_binds) and not tile_binds[level].startswith("blockIdx")
        if level >= fetch_level or inside:
            return len(levels) - n
    return 0


def bounded_split(sch, loop, n: int, staged: int, cap, split) -> list:
    """Split `loop` into n pieces, the inner `staged` of which make its shared tile: with a bound
    `cap`, that tile is drawn first (at most `cap`), then the pieces above it and within it are
    split apart by `split(sch, loop, count)`; without one (or when no piece is above or within
    the tile to take the rest), `split` does it all."""
    if cap is None or not 0 < staged < n:
        return split(sch, loop, n)
    outer, tile = sch.split(loop, sch.sample_perfect_tile(loop, 2, cap))
    above = split(sch, outer, n - staged) if n - staged > 1 else [outer]
    return above + (split(sch, tile, staged) if staged > 1 else [tile])


def shared_tile_caps(block, extents, staged, limit: int, **options) -> list:
    """Per iterator, block_tile_caps' bound on its shared tile given how many of its `staged`
    pieces out of all (a pair per iterator) the shared tile spans: a loop staged whole cannot be
    bounded (its bound is its extent), one not staged at all stages one granule (and needs no
    bound); None where unbounded."""
    granules = list(options.pop("granules", None) or [1] * len(extents))
    tiles = [g if part == 0 else e for e, g, (part, _) in zip(extents, granules, staged)]
    granules = [e if part == whole else g for e, g, (part, whole) in zip(extents, granules, staged)]
    caps = block_tile_caps(block, tiles, limit, granules=granules, **options)
    return [None if c >= t or part in (0, whole) else c for c, t, (part, whole) in zip(caps, tiles, staged)]


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
        """A bounded loop: its shared tile drawn first (at most the bound), then each part split."""
        bound = self._caps.get(id(sch.get(loop).loop_var))
        if bound is None:
            return super()._split(sch, loop, n, fixed, limit)
        cap, staged = bound
        base = super()._split
        return bounded_split(sch, loop, n, staged, cap, lambda s, lp, m: base(s, lp, m, fixed, limit))

    def _shared_caps(self, info) -> dict:
        """{id(loop var): (bound on its shared tile, how many of its pieces that tile spans)} of
        the loops that need a bound for the shared fetches to fit the target's shared memory."""
        cfg = self.reuse_read
        extents = info.extents()
        if not self.max_shared_memory_per_block or None in extents or cfg["req"] == "no" or not cfg["levels"] \
                or cfg["scope"] != "shared":
            return {}
        levels = {kind: [n for n, c in enumerate(self.structure) if c == ch] for kind, ch in (("spatial", "S"),
                                                                                           ("reduce", "R"))}
        fetch = min(cfg["levels"])  # the outermost fetch spans the most
        staged = [(staged_levels(levels.get(kind, []), fetch, self.tile_binds), len(levels.get(kind, [])))
                  for kind in info.kinds()]
        caps = shared_tile_caps(info.block, extents, staged, self.max_shared_memory_per_block)
        return {id(f.loop_var): (c, part) for f, c, (part, _) in zip(info.loops, caps, staged) if c is not None}

    def _tile(self, sch, block, info):
        self._caps = self._shared_caps(info)
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
