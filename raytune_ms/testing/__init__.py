"""Helpers shared by the tests and benchmarks (as the reference keeps meta_schedule/testing/):
small programs, a reference interpreter and the checks built on it, hand-built PrimFuncs,
running built functions, a typical tuned schedule, planted faults and random integer
expressions. The core never imports this package; hypothesis loads only when a strategy is
built."""

from . import planted
from .checks import (
    assert_error_leaves_unchanged,
    assert_same_result,
    assert_same_semantics,
    random_inputs,
    snapshot,
)
from .execution import rand, run
from .hand_built import func, nest
from .interpreter import interpret
from .mutation import changed_decisions, check_programs, init_mutator, mutate_many, replayed
from .programs import bare_matmul, batch_add, chain, elementwise_chain, matmul, row_sum, stencil
from .queries import block_names, loops_of
from .random_exprs import evaluate, int_exprs
from .schedules import tile_matmul

__all__ = [
    "assert_error_leaves_unchanged", "assert_same_result", "assert_same_semantics", "bare_matmul", "batch_add",
    "block_names", "chain", "changed_decisions", "check_programs", "elementwise_chain", "evaluate", "func",
    "init_mutator", "int_exprs", "interpret", "loops_of", "matmul", "mutate_many", "nest", "planted", "rand",
    "random_inputs", "replayed", "row_sum", "run", "snapshot", "stencil", "tile_matmul",
]
