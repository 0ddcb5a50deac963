"""Reuse a trace tuned on one fused kernel for another with the same anchor block: the blocks
the trace does not name (a different element-wise tail: relu, a residual add) are inlined into
their neighbours first, the trace is replayed, and what still stands alone is parallelised."""

from __future__ import annotations

from . import tir
from .schedule import ScheduleError
from .target import Target
from .tir.functor import collect


def block_names(sch) -> list:
    """The names of the schedule's blocks (the root aside), in program order."""
    func = sch.mod.entry_func()
    return [b.name for b in collect(func.body, tir.Block) if b.name != "root"]


def traced_blocks(trace) -> list:
    """The blocks the trace looks up by name."""
    return [inst.attrs[0] for inst in trace.insts if inst.kind.name == "GetBlock"]


def anchor_block(mod):
    """The kernel's (a PrimFunc or IRModule) anchor block, its first reduction block, or None
    when it has none (an element-wise or layout kernel)."""
    for block in collect(tir.IRModule.from_any(mod).entry_func().body, tir.Block):
        if any(iv.kind == "reduce" for iv in block.iter_vars):
            return block
    return None


def anchor_key(mod) -> str | None:
    """Structural hash of the kernel's anchor block (see anchor_block), or None."""
    block = anchor_block(mod)
    return None if block is None else tir.structural_hash(block)


def _inline(sch, name) -> bool:
    block = sch.get_block(name)
    for primitive in (sch.reverse_compute_inline, sch.compute_inline):
        try:
            primitive(block)
            return True
        except ScheduleError:
            continue
    return False


def _parallelise(sch, name) -> None:
    block = sch.get_block(name)
    loops = sch.get_loops(block)
    if loops and sch.get(loops[0]).kind == "serial":
        try:
            sch.parallel(loops[0])
        except ScheduleError:
            pass  # not a parallelisable loop (a reduction's outer loop): left serial


def schedule_using_anchor_trace(sch, anchor_trace, target) -> None:
    """Apply `anchor_trace` (tuned on a kernel with the same anchor block) to `sch` in place.

    Every block the trace names must exist in `sch` (ValueError naming the missing ones); the
    others are inlined (reverse_compute_inline into their producer, else compute_inline into
    their consumer) before the replay, and parallelised after it where that failed. `target`
    is the target the trace was tuned for (checked, for symmetry with the reference)."""
    Target(target) if not isinstance(target, Target) else target
    names = block_names(sch)
    traced = set(traced_blocks(anchor_trace))
    missing = sorted(traced - set(names))
    if missing:
        raise ValueError(
            f"schedule_using_anchor_trace: the trace names block(s) {', '.join(missing)} that the program "
            f"(blocks {', '.join(names)}) does not have; it was tuned on another anchor"
        )
    standing = [n for n in names if n not in traced and not _inline(sch, n)]
    anchor_trace.apply_to_schedule(sch, remove_postproc=False)
    for name in standing:
        _parallelise(sch, name)
