"""RewriteUnboundBlock: bind the blocks that no thread-bound loop encloses (left so by the
rules, or made by other postprocessors) to blockIdx.x x threadIdx.x with min(extent, the
target's max_threads_per_block) threads, as AutoBind does (schedule_rule/auto_bind.py), so
that the CUDA back end can launch every block."""

from __future__ import annotations

from ..schedule.tree import block_path, child_blocks, loops_above
from ..schedule_rule.auto_bind import bind_block, thread_tags
from .postproc import Postproc


class RewriteUnboundBlock(Postproc):
    def __init__(self, max_threadblocks: int = 256):
        self.max_threadblocks = int(max_threadblocks)
        self._max_threads = 1024

    def _initialize_with_tune_context(self, context) -> None:
        self._max_threads = getattr(context.target, "max_threads_per_block", None) or 1024

    def apply(self, sch) -> bool:
        for fname in sch.mod.get_global_vars():
            sch.work_on(fname)
            func = sch.mod[fname]
            for realize in child_blocks(func.body):
                name = realize.block.name
                tags = thread_tags(loops_above(block_path(sch.mod[fname], name)))
                if not any(t.startswith("blockIdx") for t in tags):
                    bind_block(sch, sch.get_block(name, fname), self.max_threadblocks, self._max_threads)
        return True
