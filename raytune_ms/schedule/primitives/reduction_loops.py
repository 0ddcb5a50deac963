"""Which loops carry a reduction: the loop variables that blocks bind reduction iterators to,
per statement subtree.

Parallelising, vectorising and the postprocessors' spatial-loop tests ask this of every loop of
a nest, and each question used to walk every block under the loop. The answer is memoised per
statement (statements are immutable, and a schedule step rebuilds only the path it changes),
so a rebuilt loop costs the union of its children's answers.
"""

from __future__ import annotations

from ...tir import BlockRealize
from ...tir.functor import memo_union, used_vars
from ..tree import LEAF_STMTS, stmt_children

_MEMO: dict = {}  # id(statement) -> (statement, ids of the reduction-bound Vars under it)


def _own_reduction_vars(realize) -> frozenset:
    out = frozenset()
    for iv, value in zip(realize.block.iter_vars, realize.iter_values):
        if iv.kind != "spatial":
            out = out | used_vars(value)
    return out


reduction_var_ids = memo_union(
    "reduction_var_ids", "ids of the Vars that some block under `stmt` (inclusive) binds a reduction iterator to.",
    _MEMO, LEAF_STMTS, BlockRealize, _own_reduction_vars, stmt_children)


def carries_reduction(loop) -> bool:
    """Whether some block under `loop` binds a reduction iterator to its loop variable."""
    return id(loop.loop_var) in reduction_var_ids(loop.body)
