"""Which buffers a subtree loads from and which it stores to, memoised per node.

The block primitives ask this of a block on every schedule step (producers and consumers,
sole writers, cache redirects), and a fresh walk over the block cost a few hundred calls each
time. Nodes are immutable and a step rebuilds only the path it changes, so an answer kept per
node makes a rebuilt block cost the nodes on that path. The answers are the buffers of
`collect(node, BufferLoad)` / `collect(node, BufferStore)` (Buffers and Vars are leaves there
too).
"""

from __future__ import annotations

from .buffer import Buffer
from .expr import BufferLoad, FloatImm, IntImm, StringImm, Var
from .functor import _NON_STMT, _kids
from .stmt import BufferStore

_LEAVES = (Var, Buffer, IntImm, FloatImm, StringImm)  # nodes that hold no load
_NONE: frozenset = frozenset()
_CAP = 1 << 16
_LOADS: dict = {}  # id(node) -> (node, ids of the buffers loaded in it)
_STORES: dict = {}  # id(statement) -> (statement, ids of the buffers stored to in it)


def loaded_buffer_ids(node) -> frozenset:
    """ids of the buffers that some BufferLoad in `node` (inclusive) reads."""
    return _buffer_ids(node, BufferLoad, _LEAVES, _LOADS)


def stored_buffer_ids(node) -> frozenset:
    """ids of the buffers that some BufferStore in `node` (inclusive) writes; expressions hold
    no statements, so they are not walked."""
    return _buffer_ids(node, BufferStore, _NON_STMT, _STORES)


def _buffer_ids(node, cls, skip, memo) -> frozenset:
    """ids of the buffers of the `cls` nodes in `node`, not walking into `skip` nodes."""
    if isinstance(node, skip):
        return _NONE
    hit = memo.get(id(node))
    if hit is not None and hit[0] is node:
        return hit[1]
    out = frozenset((id(node.buffer),)) if type(node) is cls else _NONE
    for k in _kids(node):
        sub = _buffer_ids(k, cls, skip, memo)
        if sub:
            out = sub if not out else out | sub
    if len(memo) >= _CAP:
        memo.clear()
    memo[id(node)] = (node, out)
    return out
