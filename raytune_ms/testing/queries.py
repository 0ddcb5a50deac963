"""Looking up the parts of a PrimFunc that tests assert on, by name."""

from __future__ import annotations

from .. import tir
from ..schedule.tree import block_path, loops_above


def loops_of(func, block_name):
    """The loop variables above block `block_name`, outermost first."""
    return [f.loop_var for f in loops_above(block_path(func, block_name))]


def block_names(func):
    """The names of every block but the root, in program order."""
    return [b.name for b in tir.collect(func.body, tir.Block) if b.name != "root"]
