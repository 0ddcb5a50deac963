"""A hand-written space for convolution-like workloads (C1D, C2D, C3D, DIL, GRP, DEP, CAP, T2D,
CBR): padding inlined, the convolution tiled with a register tile vectorized along output
channels, and an element-wise epilogue (bias, batch-norm, relu) folded into one block computed
tile by tile right after the register tile is written back. Two design spaces: parallel outer
tile loop, and serial."""

from __future__ import annotations

from ..schedule import ScheduleError
from .tiling import inline_producers, main_block, multi_level_tile


def epilogue_block(sch, block):
    """Inline the intermediate blocks of the chain that consumes `block`'s output; the last
    block of the chain (or None when there is no single chain)."""
    consumers = sch.get_consumers(block)
    while len(consumers) == 1:
        current = consumers[0]
        following = sch.get_consumers(current)
        if not following:
            return current
        try:
            sch.compute_inline(current)
        except ScheduleError:
            return None
        consumers = sch.get_consumers(block)
    return None


def _tile(sch, block, epilogue, parallel: bool) -> None:
    attach = multi_level_tile(sch, block, max_innermost_factor=8, vector_max=16, parallel=parallel)
    if epilogue is not None:
        sch.reverse_compute_at(epilogue, attach, preserve_unit_loops=True)
        sch.vectorize(sch.get_loops(epilogue)[-1])


def conv_space(sch) -> list:
    block = main_block(sch)
    inline_producers(sch, block)
    epilogue = epilogue_block(sch, block)
    serial = sch.copy()
    _tile(sch, block, epilogue, parallel=True)
    _tile(serial, block, epilogue, parallel=False)
    return [sch, serial]
