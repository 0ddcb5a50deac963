"""Reject te programs that read outside a tensor.

Every index of every BufferLoad in a compute's body is bounded over the block's iteration
domain with the IR's interval analysis (`tir.arith.bound`). Under an `if_then_else` the taken
branch is bounded with the domain narrowed by its condition (`tir.arith.narrow_ranges`), so
padding (`if_then_else(i >= p and i < n + p, A[i - p], 0)`) counts as in bounds. An access that
provably leaves its tensor, and an affine one whose bound cannot be established, are errors: a
silent out-of-bounds read would be a wrong answer. A data-dependent index (`A[I[i]]`, a gather)
cannot be bounded statically, so it is clamped to the tensor (as a "clip" gather does).
"""

from __future__ import annotations

from .. import tir
from ..tir.arith import bound, narrow_ranges


def _negate(cond):
    """`not cond` as comparisons where that is simple (for narrowing), else a Not node."""
    flips = {tir.LT: tir.GE, tir.LE: tir.GT, tir.GT: tir.LE, tir.GE: tir.LT}
    if type(cond) in flips:
        return flips[type(cond)](cond.a, cond.b)
    if isinstance(cond, tir.Or):
        return tir.And(_negate(cond.a), _negate(cond.b))
    if isinstance(cond, tir.Not):
        return cond.a
    return tir.Not(cond)


def clamp_data_dependent(expr):
    """`expr` with each index that reads a tensor clamped into its dimension."""

    def post(n):
        if not isinstance(n, tir.BufferLoad) or not any(tir.collect(i, tir.BufferLoad) for i in n.indices):
            return None
        indices = [
            tir.max_expr(tir.min_expr(i, tir.cast(i.dtype, e) - 1), tir.const(0, i.dtype))
            if tir.collect(i, tir.BufferLoad) else i
            for i, e in zip(n.indices, n.buffer.shape)
        ]
        return tir.BufferLoad(n.buffer, indices)

    return tir.transform(expr, post=post)


def _empty(ranges) -> bool:
    return any(isinstance(r.extent, tir.IntImm) and r.extent.value <= 0 for r in ranges.values())


def _check_load(load, ranges, compute: str):
    buf = load.buffer
    for dim, (index, extent) in enumerate(zip(load.indices, buf.shape)):
        lo, hi = bound(index, ranges)
        n = extent.value if isinstance(extent, tir.IntImm) else extent if isinstance(extent, int) else None
        where = (f"compute {compute!r}: reads {buf.name}[{', '.join(map(str, load.indices))}]: "
                 f"index {dim} ({index})")
        if lo is None or hi is None or n is None:
            span = f"[{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}]"
            raise ValueError(f"{where} cannot be proven within [0, {extent}) (its bound is {span}); "
                             "guard the access with te.if_then_else or clamp the index")
        if lo < 0 or hi >= n:
            raise ValueError(f"{where} ranges over [{lo}, {hi}], outside the tensor's bound [0, {n - 1}] "
                             f"(shape {tuple(s.value if isinstance(s, tir.IntImm) else s for s in buf.shape)})")


def check_in_bounds(expr, ranges: dict, compute: str) -> None:
    """Raise ValueError naming the compute, tensor, index and bound for a read of `expr` that
    may leave its tensor, with `ranges` (Var -> Range) the iteration domain."""
    todo = [(expr, ranges)]
    while todo:
        e, rng = todo.pop()
        if _empty(rng):
            continue  # a branch no iteration takes
        if isinstance(e, tir.Select):
            todo.append((e.condition, rng))
            todo.append((e.true_value, narrow_ranges(e.condition, rng)))
            todo.append((e.false_value, narrow_ranges(_negate(e.condition), rng)))
            continue
        if isinstance(e, tir.BufferLoad):
            _check_load(e, rng, compute)
        todo.extend((kid, rng) for kid in _children(e))


def _children(e):
    for f in e._fields:
        v = getattr(e, f)
        if isinstance(v, tir.PrimExpr):
            yield v
        elif isinstance(v, tuple):
            yield from (x for x in v if isinstance(x, tir.PrimExpr))
