"""A hand-written space for matmul-like workloads (GMM, BMM, GEMV, TBG): producers inlined,
the reduction block tiled with a register tile vectorized along the output's last dimension.
Two design spaces: with the outer tile loop parallel, and serial (small kernels lose more to
starting threads than they gain)."""

from __future__ import annotations

from .tiling import inline_producers, main_block, multi_level_tile


def matmul_space(sch) -> list:
    block = main_block(sch)
    inline_producers(sch, block)
    serial = sch.copy()
    multi_level_tile(sch, block, max_innermost_factor=8, vector_max=32, parallel=True)
    multi_level_tile(serial, block, max_innermost_factor=8, vector_max=32, parallel=False)
    return [sch, serial]
