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
from .expr import BinaryOp, BufferLoad, FloatImm, IntImm, StringImm, Var
from .functor import _NON_STMT, _kids, memo_union
from .stmt import BlockRealize, BufferRegion, BufferStore, For

_LEAVES = (Var, Buffer, IntImm, FloatImm, StringImm)  # nodes that hold no load
_LOADS: dict = {}  # id(node) -> (node, ids of the buffers loaded in it)
_STORES: dict = {}  # id(statement) -> (statement, ids of the buffers stored to in it)
_ACCESSES: dict = {}  # id(node) -> (node, ids of the buffers loaded, stored or named in a region in it)


def _own_buffer(access) -> frozenset:
    return frozenset((id(access.buffer),))


loaded_buffer_ids = memo_union(
    "loaded_buffer_ids", "ids of the buffers that some BufferLoad in `node` (inclusive) reads.",
    _LOADS, _LEAVES, BufferLoad, _own_buffer)
stored_buffer_ids = memo_union(
    "stored_buffer_ids", "ids of the buffers that some BufferStore in `node` (inclusive) writes; "
    "expressions hold no statements, so they are not walked.",
    _STORES, _NON_STMT, BufferStore, _own_buffer)
def arith_only(e) -> bool:
    """Whether `e` is made of variables, integer constants and binary operators only (so it holds
    no BufferLoad): the bindings, predicates and bounds that every split rebuilds."""
    stack = [e]
    while stack:
        n = stack.pop()
        if isinstance(n, BinaryOp):
            stack.append(n.a)
            stack.append(n.b)
        elif type(n) is not Var and type(n) is not IntImm:
            return False
    return True


def _access_kids(n) -> list:
    """The nodes below `n` that may hold an access: not the arithmetic-only expressions (a new
    loop nest is mostly those, and a quick test costs less than a memoised walk of them). The
    loops and realizes of a fresh nest, most of what a walk meets, read their few expression
    fields directly (the same nodes as the generic field walk)."""
    t = type(n)
    if t is For and not n.annotations:
        out = [e for e in (n.min, n.extent) if not arith_only(e)]
        out.append(n.body)
        return out
    if t is BlockRealize:
        out = [e for e in n.iter_values if not arith_only(e)]
        if not arith_only(n.predicate):
            out.append(n.predicate)
        out.append(n.block)
        return out
    return [k for k in _kids(n) if not arith_only(k)]


accessed_buffer_ids = memo_union(
    "accessed_buffer_ids", "ids of the buffers that some BufferLoad, BufferStore or BufferRegion "
    "(a block's reads and writes) in `node` (inclusive) accesses: whether a buffer is still used.",
    _ACCESSES, _LEAVES, (BufferLoad, BufferStore, BufferRegion), _own_buffer, _access_kids)
