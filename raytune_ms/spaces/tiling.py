"""Multi-level tiling of one compute block, the skeleton of the hand-written CPU spaces.

Spatial loops are split in three (outer: parallel, middle: cache tile, inner: register tile),
reduction loops in two, ordered S0 S1 R0 R1 S2. The block's output is accumulated in a "local"
cache written back under the last middle loop (a register tile: the buffer shrinks to the S2
extents), the outer loops are fused into one parallel loop, the innermost loop (the output's
contiguous dimension) is vectorized and the register tile's other loops unrolled; the
reduction's initialisation moves out of the reduction loops (decompose_reduction). The
structure never depends on the sampled tile sizes, so replaying the trace with new decisions
(ReplayTrace) explores the same space as calling the function again (ReplayFunc); a choice of
structure (parallel or not) is made by returning one design space per choice.
"""

from __future__ import annotations

from ..schedule import ScheduleError


def main_block(sch, name: str | None = None):
    """The block to tile: `name`, or the only block with reduction iterators (else the last
    block)."""
    if name is not None:
        return sch.get_block(name)
    func = sch.mod[sch.mod.get_global_vars()[0]]
    from ..tir import Block, collect

    blocks = [b for b in collect(func.body, Block) if b.name != "root"]
    reductions = [b for b in blocks if any(iv.kind == "reduce" for iv in b.iter_vars)]
    chosen = reductions[-1] if reductions else blocks[-1]
    return sch.get_block(chosen.name)


def inline_producers(sch, block) -> None:
    """Inline every injective producer (padding, transposes) into its consumer; blocks that
    cannot be inlined stay as they are (this depends on the program only, not on decisions)."""
    for producer in sch.get_producers(block):
        try:
            sch.compute_inline(producer)
        except ScheduleError:
            pass


def multi_level_tile(sch, block, *, max_innermost_factor: int = 16, vector_max: int = 16,
                     unroll: bool = True, parallel: bool = True):
    """Tile `block` (see the module docstring); returns the loop the register tile is written
    back under (where an epilogue can be computed too)."""
    from ..tir import Block, collect

    func = sch.mod[sch.mod.get_global_vars()[0]]
    node = next(b for b in collect(func.body, Block) if b.name == sch.get(block).name)
    kinds = [iv.kind for iv in node.iter_vars]
    loops = sch.get_loops(block)
    if len(loops) != len(kinds):
        raise ScheduleError(
            f"multi_level_tile: block {node.name!r} has {len(kinds)} iterators but {len(loops)} loops"
        )
    spatial = [lp for lp, k in zip(loops, kinds) if k == "spatial"]
    reduce = [lp for lp, k in zip(loops, kinds) if k == "reduce"]
    s_tiles = []
    for i, loop in enumerate(spatial):
        last = i == len(spatial) - 1
        factors = sch.sample_perfect_tile(loop, 3, vector_max if last else max_innermost_factor)
        s_tiles.append(sch.split(loop, factors))
    r_tiles = []
    for loop in reduce:
        factors = sch.sample_perfect_tile(loop, 2, max_innermost_factor)
        r_tiles.append(sch.split(loop, factors))
    order = [t[0] for t in s_tiles] + [t[1] for t in s_tiles]
    order += [t[0] for t in r_tiles] + [t[1] for t in r_tiles] + [t[2] for t in s_tiles]
    sch.reorder(*order)
    write_back = sch.cache_write(block, 0, "local")
    sch.reverse_compute_at(write_back, s_tiles[-1][1], preserve_unit_loops=True)
    outer = sch.fuse(*[t[0] for t in s_tiles]) if len(s_tiles) > 1 else s_tiles[0][0]
    if parallel:
        sch.parallel(outer)
    sch.vectorize(s_tiles[-1][2])
    if unroll:
        for t in s_tiles[:-1]:
            sch.unroll(t[2])
    sch.vectorize(sch.get_loops(write_back)[-1])
    if r_tiles:
        init = sch.decompose_reduction(block, r_tiles[0][0])
        sch.vectorize(sch.get_loops(init)[-1])
    return s_tiles[-1][1]
