"""ParallelizeVectorizeUnroll: on the root block only, record how the program should be
parallelised, vectorised and unrolled, as annotations that the RewriteParallelVectorizeUnroll
postprocessor turns into loop kinds once every other rule has shaped the loops:
`meta_schedule.parallel` = cores x max_jobs_per_core, `meta_schedule.vectorize` =
max_vectorize_extent, and `meta_schedule.unroll_explicit` (or `_implicit`) = an unroll step
drawn by sample_categorical from unroll_max_steps (not for entirely spatial programs)."""

from __future__ import annotations

from .block_analysis import BlockInfo, is_spatial_func
from .schedule_rule import ScheduleRule

PARALLEL_KEY = "meta_schedule.parallel"
VECTORIZE_KEY = "meta_schedule.vectorize"
UNROLL_EXPLICIT_KEY = "meta_schedule.unroll_explicit"
UNROLL_IMPLICIT_KEY = "meta_schedule.unroll_implicit"


class ParallelizeVectorizeUnroll(ScheduleRule):
    def __init__(self, max_jobs_per_core: int = 16, max_vectorize_extent: int = 16,
                 unroll_max_steps=None, unroll_explicit: bool = True):
        self.max_jobs_per_core = int(max_jobs_per_core)
        self.max_vectorize_extent = int(max_vectorize_extent)
        self.unroll_max_steps = [int(x) for x in (unroll_max_steps or [])]
        self.unroll_explicit = bool(unroll_explicit)
        self.max_parallel_extent = -1

    def _initialize_with_tune_context(self, context) -> None:
        cores = getattr(context.target, "num_cores", None)
        if self.max_jobs_per_core != -1:
            if cores is None:
                raise ValueError("ParallelizeVectorizeUnroll needs a target with num-cores")
            self.max_parallel_extent = cores * self.max_jobs_per_core

    def apply(self, sch, block) -> list:
        info = BlockInfo(sch, block)
        if not info.is_root:
            return [sch]
        if self.max_parallel_extent > 0:
            sch.annotate(block, PARALLEL_KEY, self.max_parallel_extent)
        if self.max_vectorize_extent > 0:
            sch.annotate(block, VECTORIZE_KEY, self.max_vectorize_extent)
        if self.unroll_max_steps and not is_spatial_func(info.func):
            n = len(self.unroll_max_steps)
            step = sch.sample_categorical(self.unroll_max_steps, [1.0 / n] * n)
            key = UNROLL_EXPLICIT_KEY if self.unroll_explicit else UNROLL_IMPLICIT_KEY
            sch.annotate(block, key, step)
        return [sch]
