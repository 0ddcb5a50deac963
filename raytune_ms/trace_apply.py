"""Reuse a trace tuned on one fused kernel for another with the same anchor block: the blocks
the trace does not name (a different element-wise tail: relu, a residual add) are inlined into
their neighbours first, the trace is replayed, and what still stands alone is parallelised."""

from __future__ import annotations

from . import tir
from .schedule import ScheduleError
from .schedule.random_variable import RV, _Special
from .schedule.trace import translate
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


def _rvs(values):
    for x in values:
        if isinstance(x, (list, tuple)):
            yield from _rvs(x)
        elif isinstance(x, RV) and not isinstance(x, _Special):
            yield x


#: Inlining that may not apply where the fused tail differs (the block is the output here).
_INLINES = ("ComputeInline", "ReverseComputeInline")


def replay_present(sch, trace, names) -> tuple:
    """Replay `trace` on `sch`, skipping the instructions that reach a block the program lacks
    (a GetBlock of a name not in `names`, and every instruction taking a random variable a
    skipped one made: its loops, splits, cache stages...) and the inlining of a block that
    cannot be inlined here. Returns (skipped instructions, names of the blocks left standing by
    a skipped inlining)."""
    rv_map: dict = {}
    foreign: set = set()
    skipped, kept_blocks = [], []
    for inst in trace.insts:
        absent = inst.kind.name == "GetBlock" and inst.attrs[0] not in names
        if absent or any(x in foreign for x in _rvs(inst.inputs)):
            foreign.update(inst.outputs)
            skipped.append(inst)
            continue
        inputs = [translate(x, rv_map) for x in inst.inputs]
        try:
            outputs = inst.kind.apply(sch, inputs, inst.attrs, trace.decisions.get(inst))
        except ScheduleError:
            if inst.kind.name not in _INLINES:
                raise
            skipped.append(inst)
            kept_blocks.append(sch.get(inputs[0]).name)
            continue
        if len(outputs) != len(inst.outputs):
            raise ScheduleError(
                f"schedule_using_anchor_trace: {inst.kind.name} gave {len(outputs)} outputs on this "
                f"program against {len(inst.outputs)} where the trace was made"
            )
        rv_map.update(zip(inst.outputs, outputs))
    return skipped, kept_blocks


def schedule_using_anchor_trace(sch, anchor_trace, target) -> None:
    """Apply `anchor_trace` (tuned on a kernel with the same anchor block) to `sch` in place.

    As in the reference, instructions on blocks the program lacks (an element-wise tail of the
    kernel the trace was tuned on) are skipped with everything derived from them, and so is an
    inlining that does not apply here (the block is this program's output); the program's
    blocks the trace does not name are inlined (reverse_compute_inline into their producer, else
    compute_inline into their consumer) before the replay, and parallelised after it where that
    failed or was skipped. `target` is the target the trace was tuned for (checked, for
    symmetry with the reference)."""
    Target(target) if not isinstance(target, Target) else target
    names = block_names(sch)
    traced = set(traced_blocks(anchor_trace))
    standing = [n for n in names if n not in traced and not _inline(sch, n)]
    standing += replay_present(sch, anchor_trace, {*names, "root"})[1]
    for name in standing:
        _parallelise(sch, name)
