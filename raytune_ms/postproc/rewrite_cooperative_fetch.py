"""RewriteCooperativeFetch: spread each loop annotated `meta_schedule.cooperative_fetch`
(a fetch into shared memory, see multi_level_tiling_cuda.py) over the threads of its block:
the loop is split [rest, (threadIdx.y,) threadIdx.x, vector length] with the extents of the
threadIdx loops around it, the thread parts bound, the vector part vectorized (a length of 1
adds no vector loop). A fetch with no threadIdx.x loop around it is rejected, unless its block
carries `warp_execution` (tensor-core tiles: the 32 lanes of each warp share the fetch)."""

from __future__ import annotations

from ..schedule.tree import block_path, loops_above
from ..schedule_rule.multi_level_tiling_cuda import COOPERATIVE_FETCH_KEY
from ..schedule_rule.multi_level_tiling_tensor_core import WARP, WARP_EXECUTION_KEY
from ..tir import Block, collect
from .postproc import Postproc


def _thread_extents(loops) -> dict:
    return {f.thread_tag: f.extent.value for f in loops if f.kind == "thread_binding"
            and f.thread_tag in ("threadIdx.x", "threadIdx.y") and hasattr(f.extent, "value")}


class RewriteCooperativeFetch(Postproc):
    def apply(self, sch) -> bool:
        for fname in sch.mod.get_global_vars():
            sch.work_on(fname)
            names = [b.name for b in collect(sch.mod[fname].body, Block) if b.name != "root"]
            for name in names:
                loops = loops_above(block_path(sch.mod[fname], name))
                for pos, f in enumerate(loops):
                    vec = f.annotation(COOPERATIVE_FETCH_KEY)
                    if vec is None:
                        continue
                    threads = _thread_extents(loops[:pos])
                    if "threadIdx.x" not in threads and block_path(sch.mod[fname], name)[-1].block.annotation(
                            WARP_EXECUTION_KEY):
                        threads["threadIdx.x"] = WARP  # a warp's lanes run the tensor-core tiles
                    if "threadIdx.x" not in threads:
                        return False
                    rv = sch.get_loops(sch.get_block(name, fname))[pos]
                    sch.unannotate(rv, COOPERATIVE_FETCH_KEY)
                    vec = int(getattr(vec, "value", vec))
                    tags = [t for t in ("threadIdx.y", "threadIdx.x") if t in threads]
                    factors = [None] + [threads[t] for t in tags] + ([vec] if vec > 1 else [])
                    parts = sch.split(rv, factors)
                    for part, tag in zip(parts[1:], tags):
                        sch.bind(part, tag)
                    if vec > 1:
                        sch.vectorize(parts[-1])
        return True
