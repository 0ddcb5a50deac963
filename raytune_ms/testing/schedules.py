"""A typical tuned schedule, written by hand: what the tests replay and the trace-replay
benchmark times."""

from __future__ import annotations


def tile_matmul(sch, cache=False, max_innermost_factor=16, inline_epilogue=False):
    """The CPU multi-level tiling of the "C" block (SSRSRS) of `programs.matmul`, a parallel
    fused outer loop, a vectorized inner loop and a sampled unroll. `cache` adds a write cache
    placed by reverse_compute_at; the "D" epilogue is fused into the outer tile, or inlined
    into the cache when `inline_epilogue` (which needs `cache`)."""
    c = sch.get_block("C")
    d = sch.get_block("D")
    sch.annotate(c, "meta_schedule.tiling_structure", "SSRSRS")
    i, j, k = sch.get_loops(c)
    i0, i1, i2, i3 = sch.split(i, sch.sample_perfect_tile(i, 4, max_innermost_factor))
    j0, j1, j2, j3 = sch.split(j, sch.sample_perfect_tile(j, 4, max_innermost_factor))
    k0, k1 = sch.split(k, sch.sample_perfect_tile(k, 2, max_innermost_factor))
    sch.reorder(i0, j0, i1, j1, k0, i2, j2, k1, i3, j3)
    if cache:
        cw = sch.cache_write(c, 0, "global")
        sch.reverse_compute_at(cw, j1)
    if inline_epilogue:
        sch.reverse_compute_inline(d)
    else:
        sch.reverse_compute_at(d, j0)
    f = sch.fuse(i0, j0)
    sch.parallel(f)
    sch.vectorize(j3)
    v = sch.sample_categorical([0, 16, 64, 512], [0.25, 0.25, 0.25, 0.25])
    sch.annotate(c, "meta_schedule.unroll_explicit", v)
    return sch
