"""AddRFactor: for a reduction with little spatial parallelism (S < R and S <= cores x
max_jobs_per_core when the block would be tiled, else any R > 1), also offer rfactor'd
versions: reduction loops fused, split in two by sample_perfect_tile, and either piece made a
spatial dimension of partial results. Returns the successes followed by the untouched block;
the original block is marked so that RandomComputeLocation moves the rfactor block with it."""

from __future__ import annotations

import math

from ..schedule import ScheduleError
from .block_analysis import RANDOM_COMPUTE_PRODUCER, TILING_KEY, BlockInfo, needs_multi_level_tiling
from .schedule_rule import ScheduleRule


class AddRFactor(ScheduleRule):
    def __init__(self, max_jobs_per_core: int = 16, max_innermost_factor: int | None = None):
        self.max_jobs_per_core = int(max_jobs_per_core)
        self.max_innermost_factor = -1 if max_innermost_factor is None else int(max_innermost_factor)
        self.max_parallel_extent = -1

    def _initialize_with_tune_context(self, context) -> None:
        cores = getattr(context.target, "num_cores", None)
        if cores is None:
            raise ValueError("AddRFactor needs a target with num-cores")
        self.max_parallel_extent = -1 if self.max_jobs_per_core == -1 else cores * self.max_jobs_per_core

    def _wanted(self, info: BlockInfo) -> bool:
        return needs_rfactor_or_cross_thread_reduction(info, self.max_parallel_extent)

    def apply(self, sch, block) -> list:
        info = BlockInfo(sch, block)
        if not self._wanted(info):
            return [sch]
        untouched = sch.copy()
        spatial, fused = fuse_reduction_loops(sch, block, info.kinds())
        factors = sch.sample_perfect_tile(fused, 2, self.max_innermost_factor)
        pieces = sch.split(fused, factors)
        out = []
        for piece in pieces:
            attempt = sch.copy()
            try:
                attempt.rfactor(piece, len(spatial))
                attempt.annotate(block, RANDOM_COMPUTE_PRODUCER, 1)
            except ScheduleError:
                continue
            out.append(attempt)
        return out + [untouched]


def needs_rfactor_or_cross_thread_reduction(info: BlockInfo, max_parallel_extent: int) -> bool:
    """The reference's condition (module docstring), shared with CrossThreadReduction; -1: no
    parallel limit."""
    b = info.block
    kinds = info.kinds()
    if info.is_root or not b.writes or info.annotation(TILING_KEY) is not None:
        return False
    if b.init is None or "reduce" not in kinds or any(k not in ("spatial", "reduce") for k in kinds):
        return False
    if not info.trivial_binding() or None in info.extents():
        return False
    for f in info.loops[:-1]:  # a perfect chain of loops down to the block
        if not hasattr(f.body, "loop_var"):
            return False
    ext = info.extents()
    s = math.prod(e for e, k in zip(ext, kinds) if k == "spatial")
    r = math.prod(e for e, k in zip(ext, kinds) if k == "reduce")
    if needs_multi_level_tiling(info):
        return s < r and (max_parallel_extent == -1 or s <= max_parallel_extent)
    return r > 1


def fuse_reduction_loops(sch, block, kinds) -> tuple:
    """Reorder the block's spatial loops before its reduction loops and fuse the latter:
    (spatial loops, the fused reduction loop)."""
    loops = sch.get_loops(block)
    spatial = [lp for lp, k in zip(loops, kinds) if k == "spatial"]
    reduce = [lp for lp, k in zip(loops, kinds) if k == "reduce"]
    sch.reorder(*spatial, *reduce)
    return spatial, sch.fuse(*reduce) if len(reduce) > 1 else reduce[0]
