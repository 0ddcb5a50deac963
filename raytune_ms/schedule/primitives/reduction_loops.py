"""Which loops carry a reduction: the loop variables that blocks bind reduction iterators to,
per statement subtree.

Parallelising, vectorising and the postprocessors' spatial-loop tests ask this of every loop of
a nest, and each question used to walk every block under the loop. The answer is memoised per
statement (statements are immutable, and a schedule step rebuilds only the path it changes),
so a rebuilt loop costs the union of its children's answers.
"""

from __future__ import annotations

from ...tir import BlockRealize, BufferStore, Evaluate
from ...tir.functor import used_vars
from ..tree import stmt_children

_MEMO: dict = {}  # id(statement) -> (statement, ids of the reduction-bound Vars under it)
_MEMO_CAP = 1 << 14
_NONE: frozenset = frozenset()


def reduction_var_ids(stmt) -> frozenset:
    """ids of the Vars that some block under `stmt` (inclusive) binds a reduction iterator to."""
    t = type(stmt)
    if t is BufferStore or t is Evaluate:  # leaf statements hold no block
        return _NONE
    hit = _MEMO.get(id(stmt))
    if hit is not None and hit[0] is stmt:
        return hit[1]
    out = _NONE
    if t is BlockRealize:
        for iv, value in zip(stmt.block.iter_vars, stmt.iter_values):
            if iv.kind != "spatial":
                out = out | used_vars(value)
    for child in stmt_children(stmt):
        sub = reduction_var_ids(child)
        if sub:
            out = sub if not out else out | sub
    if len(_MEMO) >= _MEMO_CAP:
        _MEMO.clear()
    _MEMO[id(stmt)] = (stmt, out)
    return out


def carries_reduction(loop) -> bool:
    """Whether some block under `loop` binds a reduction iterator to its loop variable."""
    return id(loop.loop_var) in reduction_var_ids(loop.body)
