"""AutoBind: on a GPU, bind every block that no thread-bound loop encloses (an element-wise
stage, a padding, a reduction the other rules left alone) to blockIdx.x x threadIdx.x, so that
every design space is a program the CUDA back end can launch.

The block's leading spatial loops are fused into one loop of extent E and split:
- E <= max_threadblocks x T: [E / T, T] bound to blockIdx.x, threadIdx.x, where T is drawn
  (sample_categorical, uniform) from `thread_extents`, the ones above E dropped (kept: the
  smallest), all within the target's max_threads_per_block;
- larger: [rest, max_threadblocks, T] reordered to blockIdx.x, threadIdx.x, rest (each
  thread then walks a serial loop with a stride of max_threadblocks x T).
A block without a leading spatial loop gets a unit loop bound to blockIdx.x (one thread
runs it). A block already under a threadIdx loop but no blockIdx loop (a cross-thread
reduction) gets its loops above the thread loop fused onto blockIdx.x.
RewriteUnboundBlock does the same with T = min(E, max_threads_per_block) for blocks that
appear after the rules ran.
"""

from __future__ import annotations

from ..schedule.tree import block_path, loops_above
from ..tir import IntImm
from ..tir.functor import used_vars
from .block_analysis import BlockInfo
from .schedule_rule import ScheduleRule

DEFAULT_THREAD_EXTENTS = (32, 64, 128, 256, 512, 1024)


def thread_tags(loops) -> set:
    """The thread tags bound among `loops` (For nodes)."""
    return {f.thread_tag for f in loops if f.kind == "thread_binding"}


def spatial_prefix(func, name) -> list:
    """How many outermost loops of block `name` are serial, unannotated, of constant extent and
    bound to no reduction iterator of any block under them."""
    path = block_path(func, name)
    loops = loops_above(path)
    realize = path[-1]
    reduce_vars = set()
    for iv, v in zip(realize.block.iter_vars, realize.iter_values):
        if iv.kind != "spatial":
            reduce_vars |= used_vars(v)
    n = 0
    for f in loops:
        if f.kind != "serial" or f.annotations or not isinstance(f.extent, IntImm) or id(f.loop_var) in reduce_vars:
            break
        n += 1
    return n


def bind_block(sch, block, max_threadblocks: int, max_threads: int, thread_extent=None) -> bool:
    """Bind `block` (see the module docstring). thread_extent(E) -> T (an int or an ExprRV);
    None: min(E, max_threads). Returns False when the block is already bound to threads."""
    info = BlockInfo(sch, block)
    tags = thread_tags(info.loops)
    if any(t.startswith("blockIdx") for t in tags):
        return False
    loops = sch.get_loops(block)
    if any(t.startswith("threadIdx") for t in tags):  # bound threads: the loops above go to blocks
        k = next(i for i, f in enumerate(info.loops) if f.kind == "thread_binding")
        outer = loops[:k]
        if not outer:
            outer = [sch.add_unit_loop(loops[0])]
        sch.bind(sch.fuse(*outer) if len(outer) > 1 else outer[0], "blockIdx.x")
        return True
    n = spatial_prefix(info.func, info.name)
    if n == 0:
        sch.bind(sch.add_unit_loop(loops[0] if loops else block), "blockIdx.x")
        return True
    fused = sch.fuse(*loops[:n]) if n > 1 else loops[0]
    extent = sch.get(fused).extent.value
    if extent <= max_threadblocks * max_threads:
        factor = min(extent, max_threads) if thread_extent is None else thread_extent(extent)
        bx, tx = sch.split(fused, [None, factor])
        sch.bind(bx, "blockIdx.x")
        sch.bind(tx, "threadIdx.x")
    else:
        rest, bx, tx = sch.split(fused, [None, max_threadblocks, max_threads])
        sch.reorder(bx, tx, rest)
        sch.bind(bx, "blockIdx.x")
        sch.bind(tx, "threadIdx.x")
    return True


class AutoBind(ScheduleRule):
    """max_threadblocks: the most thread blocks before a thread loops over its share;
    thread_extents: the thread counts to draw from (the reference's 32..1024);
    max_threads_per_block: -1 reads it from the target."""

    def __init__(self, max_threadblocks: int = 256, thread_extents=None, max_threads_per_block: int = -1):
        self.max_threadblocks = int(max_threadblocks)
        self.thread_extents = [int(x) for x in (thread_extents or DEFAULT_THREAD_EXTENTS)]
        self.max_threads_per_block = int(max_threads_per_block)
        self._max_threads = self.max_threads_per_block if self.max_threads_per_block > 0 else 1024

    def _initialize_with_tune_context(self, context) -> None:
        if self.max_threads_per_block <= 0:
            self._max_threads = getattr(context.target, "max_threads_per_block", None) or 1024

    def _extents(self, extent) -> list:
        fit = [t for t in self.thread_extents if t <= self._max_threads]
        if not fit:
            raise ValueError(f"AutoBind: no thread extent in {self.thread_extents} fits "
                             f"max_threads_per_block={self._max_threads}")
        return [t for t in fit if t <= extent] or fit[:1]

    def apply(self, sch, block) -> list:
        info = BlockInfo(sch, block)
        if info.is_root or not info.parent_is_root or thread_tags(info.loops):
            return [sch]

        def draw(extent):
            cands = self._extents(extent)
            return cands[0] if len(cands) == 1 else sch.sample_categorical(cands, [1.0 / len(cands)] * len(cands))

        bind_block(sch, block, self.max_threadblocks, self._max_threads, draw)
        return [sch]
