"""Which enclosing loops are worth drawing as a compute location (sample_compute_location).

As the reference does, the walk from the outermost loop stops at a spatial loop after a
reduction loop, or at a reduction loop deeper than the last spatial one: below them the
producer would be recomputed for every reduction step of a few outputs.

Beyond the reference, a loop that no consumer's read of the produced buffer depends on is
skipped: every iteration of it would compute the same values again (a convolution's padding
under the output-channel tile loop is the whole padded image once per channel tile); computing
the block one loop further out gives the same program without the repetition.

Unlike the reference, loops of one iteration are kept: which loops have one iteration depends
on the sampled tile sizes, and the candidate list (decisions index it) must stay the same when
a mutator changes them.
"""

from __future__ import annotations

from ...tir.functor import substitute, used_vars
from .block_common import written_buffers


def _is_reduction(loop, consumers) -> bool:
    """Whether some consumer binds a reduction iterator to `loop`."""
    for c in consumers:
        for iv, value in zip(c.block.iter_vars, c.iter_values):
            if iv.kind != "spatial" and id(loop.loop_var) in used_vars(value):
                return True
    return False


def _read_vars(producer, consumers) -> frozenset:
    """ids of the loop vars the consumers' reads of the produced buffers depend on."""
    out = set()
    bufs = written_buffers(producer.block)
    for c in consumers:
        mapping = {iv.var: v for iv, v in zip(c.block.iter_vars, c.iter_values)}
        for region in c.block.reads:
            if any(region.buffer is b for b in bufs):
                for r in region.region:
                    out |= used_vars(substitute(r.min, mapping))
                    out |= used_vars(substitute(r.extent, mapping))
    return frozenset(out)


def worth_drawing(loops, producer, consumers) -> list:
    """The loops (For nodes, outermost first, enclosing every consumer) to offer as compute
    locations of `producer`, in order."""
    kinds = [_is_reduction(f, consumers) for f in loops]
    spatial = [k for k, red in enumerate(kinds) if not red]
    last_spatial = spatial[-1] if spatial else -1
    read = _read_vars(producer, consumers)
    out, seen_reduction = [], False
    for k, (f, red) in enumerate(zip(loops, kinds)):
        if red:
            if k > last_spatial:
                break
            seen_reduction = True
        elif seen_reduction:
            break
        if id(f.loop_var) in read:
            out.append(f)
    return out
