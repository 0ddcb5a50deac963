"""Estimating a program's floating-point operations for the statistics table (GFLOP/s).

Counts every floating-point arithmetic node, comparison and math call in the values stored by
blocks (reduction inits excluded; selects are data movement, as in padding, and do not count),
times the extents of the loops around them, so a matrix multiply of N x M x K counts 2*N*M*K.
"""

from __future__ import annotations

from .expr import BinaryOp, Call, IntImm
from .function import IRModule, PrimFunc
from .functor import post_order_visit
from .stmt import Block, BlockRealize, BufferStore, For, IfThenElse, SeqStmt

_COUNTED = (BinaryOp, Call)


def _ops(expr) -> int:
    count = [0]

    def visit(node):
        if isinstance(node, _COUNTED) and str(getattr(node, "dtype", "")).startswith(("float", "bfloat")):
            count[0] += 1
        elif isinstance(node, BinaryOp) and str(getattr(node.a, "dtype", "")).startswith("float"):
            count[0] += 1  # a float comparison yields a bool

    post_order_visit(expr, visit)
    return count[0]


def _stmt(s, scale: int) -> int:
    if isinstance(s, For):
        extent = s.extent.value if isinstance(s.extent, IntImm) else 1
        return _stmt(s.body, scale * extent)
    if isinstance(s, BlockRealize):
        return _stmt(s.block, scale)
    if isinstance(s, Block):
        return _stmt(s.body, scale)
    if isinstance(s, SeqStmt):
        return sum(_stmt(x, scale) for x in s.seq)
    if isinstance(s, IfThenElse):
        out = _stmt(s.then_case, scale)
        return out + (_stmt(s.else_case, scale) if s.else_case is not None else 0)
    if isinstance(s, BufferStore):
        return scale * _ops(s.value)
    return 0


def estimate_flops(mod) -> int:
    """Floating-point operations of a PrimFunc, or the sum over an IRModule's functions."""
    if isinstance(mod, IRModule):
        return sum(estimate_flops(f) for _, f in mod.functions)
    if not isinstance(mod, PrimFunc):
        raise TypeError(f"expected a PrimFunc or IRModule, got {type(mod).__name__}")
    return _stmt(mod.body, 1)
