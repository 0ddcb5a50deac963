"""CrossThreadReduction: on a GPU, let the threads of a block share a reduction that
MultiLevelTiling did not take (a row sum, a norm's statistics, a GEMV): the reduction loops
are fused and split [rest, T] with T drawn uniformly from `thread_extents` (those within the
target's max_threads_per_block and the reduction's extent), the inner loop bound to
threadIdx.x and the fused spatial loops to blockIdx.x. The CUDA back end turns the
threadIdx-bound reduction into warp shuffles (codegen/cuda_reduce.py).

It applies to an untiled reduction block directly under the root with trivial binding and
constant extents whose reduction is longer than one (the reference's
NeedsRFactorOrCrossThreadReduction, with the GPU's thread limit as the parallel limit: a
block MultiLevelTiling could tile takes it only when its spatial size S is below the
reduction size R and within that limit). It returns the bound schedule, then the input
unchanged (AutoBind binds that one per thread).
"""

from __future__ import annotations

import math

from .add_rfactor import fuse_reduction_loops, needs_rfactor_or_cross_thread_reduction
from .block_analysis import BlockInfo
from .schedule_rule import ScheduleRule

DEFAULT_THREAD_EXTENTS = (4, 8, 16, 32, 64, 128, 256, 512)


class CrossThreadReduction(ScheduleRule):
    def __init__(self, thread_extents=None):
        self.thread_extents = [int(x) for x in (thread_extents or DEFAULT_THREAD_EXTENTS)]
        self._max_threads = 1024

    def _initialize_with_tune_context(self, context) -> None:
        self._max_threads = getattr(context.target, "max_threads_per_block", None) or 1024

    def _wanted(self, info) -> bool:
        if not info.parent_is_root or not needs_rfactor_or_cross_thread_reduction(info, self._max_threads):
            return False
        return all(f.kind == "serial" for f in info.loops)

    def apply(self, sch, block) -> list:
        info = BlockInfo(sch, block)
        if not self._wanted(info):
            return [sch]
        kinds = info.kinds()
        r_total = math.prod(e for e, k in zip(info.extents(), kinds) if k == "reduce")
        cands = [t for t in self.thread_extents if t <= min(self._max_threads, r_total)] or [
            min(self.thread_extents)]
        out = sch.copy()
        spatial, fused = fuse_reduction_loops(out, block, kinds)
        threads = cands[0] if len(cands) == 1 else out.sample_categorical(cands, [1.0 / len(cands)] * len(cands))
        _, tx = out.split(fused, [None, threads])
        out.bind(tx, "threadIdx.x")
        if spatial:
            out.bind(out.fuse(*spatial) if len(spatial) > 1 else spatial[0], "blockIdx.x")
        else:
            out.bind(out.add_unit_loop(out.get_loops(block)[0]), "blockIdx.x")
        return [out, sch]
