"""Generic walks over the IR: visit every node, rebuild a tree bottom-up, substitute variables.

Rewrites share every subtree they do not change, so a transformation costs only the path it
touches.
"""

from __future__ import annotations

from operator import attrgetter

from .buffer import Buffer
from .expr import Add, FloatImm, FloorDiv, FloorMod, IntImm, IterVar, Mul, PrimExpr, Range, StringImm, Sub, Var
from .node import Node
from .stmt import Block, BlockRealize, BufferRegion, BufferStore, Evaluate, For, IfThenElse, SeqStmt, Stmt

_LEAVES = (Var, Buffer)
_CONSTANTS = frozenset((IntImm, FloatImm, StringImm))  # nodes whose fields hold no nodes
_NON_STMT = (PrimExpr, BufferRegion, Range, IterVar, Buffer)


def _tuple_kids(values, out) -> None:
    for v in values:
        if isinstance(v, Node):
            out.append(v)
        elif type(v) is tuple:
            _tuple_kids(v, out)


_FIELD_VALUES: dict = {}  # node class -> a function giving its field values as a tuple


def field_values(n) -> tuple:
    """The values of `n`'s fields in `_fields` order, read in one C call (a getter per class)."""
    get = _FIELD_VALUES.get(type(n))
    if get is None:
        fields = type(n)._fields
        if not fields:
            get = _no_fields
        elif len(fields) == 1:
            one = attrgetter(fields[0])
            get = lambda node: (one(node),)  # noqa: E731
        else:
            get = attrgetter(*fields)
        _FIELD_VALUES[type(n)] = get
    return get(n)


def _no_fields(_node) -> tuple:
    return ()


def _kids(n) -> list:
    """Child nodes of `n` in field order (nodes inside tuple fields, nested tuples too)."""
    out = []
    if type(n) in _CONSTANTS:
        return out
    for v in field_values(n):
        if isinstance(v, Node):
            out.append(v)
        elif type(v) is tuple and v:
            _tuple_kids(v, out)
    return out


_USED: dict = {}  # id(node) -> (node, its used_vars): nodes are immutable, the answer never changes
_USED_CAP = 1 << 16


def used_vars(node) -> frozenset:
    """ids of the Vars occurring in `node` (memoised per node; a subtree answered before is
    not walked again)."""
    hit = _USED.get(id(node))
    if hit is not None and hit[0] is node:
        return hit[1]
    out = set()
    stack = [node]
    get = _USED.get
    while stack:
        n = stack.pop()
        if isinstance(n, Var):
            out.add(id(n))
        elif not isinstance(n, (IntImm, Buffer)):
            for k in _kids(n):
                known = get(id(k))
                if known is not None and known[0] is k:
                    out |= known[1]
                else:
                    stack.append(k)
    if len(_USED) >= _USED_CAP:
        _USED.clear()
    result = frozenset(out)
    _USED[id(node)] = (node, result)
    return result


def post_order_visit(node, fn) -> None:
    """Call `fn` on every node below and including `node`, children first (Buffers and Vars too).

    Walks pre-order visiting children right to left and replays that order reversed, which
    is exactly the left-to-right post-order."""
    order = []
    stack = [node]
    pop, push = stack.pop, order.append
    while stack:
        n = pop()
        push(n)
        if not isinstance(n, _LEAVES):
            stack.extend(_kids(n))
    for n in reversed(order):
        fn(n)


def pre_order_visit(node, fn) -> None:
    """Call `fn` on every node, parents first; a False return skips that node's children."""
    stack = [node]
    pop = stack.pop
    while stack:
        n = pop()
        if fn(n) is False or isinstance(n, _LEAVES):
            continue
        kids = _kids(n)
        if kids:
            kids.reverse()
            stack.extend(kids)


def transform(node, post=None, pre=None):
    """Rebuild `node` bottom-up.

    `pre(n)` may return a replacement (not descended into) or None to descend.
    `post(n)` sees a node whose children are already rewritten and returns its replacement
    (or None to keep it). Unchanged subtrees are returned as the same objects.
    """
    return _rewrite(node, {}, pre, post)


# The walk of `transform` is made of module-level functions taking their state as arguments: a
# closure that calls itself is a reference cycle, and every call would leave one (with its memo
# of rewritten nodes) for the cyclic garbage collector.

def _rewrite_value(value, memo, pre, post):
    if isinstance(value, Node):
        return _rewrite(value, memo, pre, post)
    if isinstance(value, tuple):
        new = tuple([_rewrite_value(v, memo, pre, post) for v in value])
        return value if all(a is b for a, b in zip(new, value)) else new
    return value


def _rewrite(n, memo, pre, post):
    key = id(n)
    if key in memo:
        return memo[key]
    if type(n) in _CONSTANTS or isinstance(n, (Var, Buffer)):  # no child nodes to rebuild
        out = None
        if pre is not None:
            out = pre(n)
        if out is None and post is not None:
            out = post(n)
        memo[key] = n if out is None else out
        return memo[key]
    if pre is not None:
        out = pre(n)
        if out is not None:
            memo[key] = out
            return out
    values = field_values(n)
    new_values = None
    for i, old in enumerate(values):
        if isinstance(old, Node):
            new = _rewrite(old, memo, pre, post)
        elif isinstance(old, tuple) and old:
            new = _rewrite_value(old, memo, pre, post)
        else:
            continue
        if new is not old:
            if new_values is None:
                new_values = list(values)
            new_values[i] = new
    cur = n if new_values is None else type(n)(*new_values)
    if post is not None:
        out = post(cur)
        if out is not None:
            cur = out
    memo[key] = cur
    return cur


def substitute(node, mapping: dict):
    """Replace Vars (keys) by expressions, and Buffers by Buffers, everywhere in `node`."""
    if not mapping:
        return node
    t = type(node)
    if t is Var:  # (a region's index or a binding is often a bare variable or constant)
        hit = mapping.get(node)
        return node if hit is None else hit
    if t in _CONSTANTS:
        return node
    if all(type(k) is Buffer for k in mapping):  # skip the subtrees that use none of them
        ids = {id(k) for k in mapping}

        def pre(n):
            if isinstance(n, (Var, Buffer)):
                return mapping.get(n)
            return n if ids.isdisjoint(used_buffers(n)) else None

        return transform(node, pre=pre)
    return transform(node, pre=lambda n: mapping.get(n) if isinstance(n, (Var, Buffer)) else None)


_NO_IDS: frozenset = frozenset()
_UNION_CAP = 1 << 16  # entries per memo_union memo (why a cap, and why this one: see there)


def memo_union(name, doc, memo: dict, skip, cls, own, kids=_kids):
    """A function `node -> frozenset`: the union of `own(n)` over the `cls` nodes n in `node`
    (inclusive; `cls` is a class or a tuple of classes, matched exactly), not walking into `skip`
    nodes, memoised per node in `memo` (id -> (node, answer); cleared when full). Nodes are
    immutable and a schedule step rebuilds only the path it changes, so a subtree shared by many
    versions of a program is walked once. `kids(n)` gives the nodes walked below `n`. (The walk
    is a closure made once, so that each step of it is a one-argument call: it runs on every
    replay's fresh nodes.)

    Why a cap: an entry holds its node (so its id cannot be reused while the entry lives), and
    a search makes fresh nodes for every candidate (~27 new reduction_var_ids entries per GMM
    candidate), so an uncapped memo grows with the search. Why this one: at 1 << 16 entries a
    memo holds ~15 MB (~220 bytes an entry, the nodes only it keeps alive included), the new
    entries of a thousand candidates fit (27-62 each for GMM), and a clear costs one re-walk of
    the programs in use. A per-design-space memo would re-walk the workload's subtrees that every
    space shares, and weak references would need a `__weakref__` slot on every node."""
    own_types = cls if isinstance(cls, tuple) else (cls,)

    def walk(node):
        if isinstance(node, skip):
            return _NO_IDS
        hit = memo.get(id(node))
        if hit is not None and hit[0] is node:
            return hit[1]
        out = own(node) if type(node) in own_types else _NO_IDS
        for k in kids(node):
            sub = walk(k)
            if sub:
                out = sub if not out else out | sub
        if len(memo) >= _UNION_CAP:
            memo.clear()
        memo[id(node)] = (node, out)
        return out

    walk.__name__ = walk.__qualname__ = name
    walk.__doc__ = doc
    return walk


def id_set(node) -> frozenset:
    """{id(node)}: what a node contributes to a union of ids (see memo_union)."""
    return frozenset((id(node),))


_BUFFERS: dict = {}  # id(node) -> (node, ids of the Buffers in it), every subtree asked or walked
used_buffers = memo_union(
    "used_buffers", "ids of the Buffers occurring in `node` (as transform sees them: Buffers are leaves).",
    _BUFFERS, (Var, *_CONSTANTS), Buffer, id_set)


_INDEX_ARITH = (Var, IntImm, Add, Sub, Mul, FloorDiv, FloorMod)


def index_arith(e) -> bool:
    """Whether `e` is made of variables, integer constants and + - * // % only (so it uses no
    buffer): what almost every binding and index is, told without a memoised walk (which
    costs more on the fresh expressions of each candidate)."""
    stack = [e]
    while stack:
        n = stack.pop()
        t = type(n)
        if t is Var or t is IntImm:
            continue
        if t not in _INDEX_ARITH:
            return False
        stack.append(n.a)
        stack.append(n.b)
    return True


def collect(node, cls) -> list:
    """Every node of class `cls` under `node`, in pre-order, without duplicates.

    Statements never sit inside expressions, so collecting statement classes skips every
    expression subtree (the common case, e.g. all Blocks of a function, stays fast), and the
    answer for a statement tree is memoised (several passes ask for the same program's blocks
    or loops)."""
    if not (isinstance(cls, type) and issubclass(cls, Stmt) and isinstance(node, Stmt)):
        return collect_each(node, (cls,))[0]
    key = (id(node), cls)
    hit = _STMTS.get(key)
    if hit is None or hit[0] is not node:
        hit = (node, collect_each(node, (cls,))[0])
        if len(_STMTS) >= _STMTS_CAP:
            _STMTS.clear()
        _STMTS[key] = hit
    return list(hit[1])


_STMTS: dict = {}  # (id(statement), class) -> (statement, the statements of that class in it)
_STMTS_CAP = 256


_OPEN, _SHUT, _EXPR = 1, 2, 3  # how a walk treats a node class: descend, leaf, expression-level
_NODE_KIND: dict = {}


def _node_kind(t) -> int:
    kind = _NODE_KIND.get(t)
    if kind is None:
        kind = _NODE_KIND[t] = (_SHUT if t in _CONSTANTS or issubclass(t, _LEAVES)
                                else _EXPR if issubclass(t, _NON_STMT) else _OPEN)
    return kind


def collect_each(node, classes: tuple) -> list:
    """`[collect(node, c) for c in classes]` in one walk (each list in pre-order, without
    duplicates): what a pass needs when it looks for several kinds of node at once. (A class
    in `classes` may itself be a tuple of classes.)"""
    outs = [[] for _ in classes]
    seen = [set() for _ in classes]
    stmts_only = all(issubclass(c, Stmt) for cs in classes for c in (cs if isinstance(cs, tuple) else (cs,)))
    matches: dict = {}  # node class -> indices of the classes it is an instance of
    stack = [node]
    pop, push = stack.pop, stack.extend
    kind_of = _NODE_KIND.get
    while stack:
        n = pop()
        t = type(n)
        hit = matches.get(t)
        if hit is None:
            hit = matches[t] = tuple(i for i, c in enumerate(classes) if issubclass(t, c))
        for i in hit:
            if id(n) not in seen[i]:
                seen[i].add(id(n))
                outs[i].append(n)
        kind = kind_of(t) or _node_kind(t)
        if kind == _SHUT or (stmts_only and kind == _EXPR):
            continue
        if stmts_only:  # expression-level nodes are never pushed
            kids = _STMT_KIDS[t](n) if t in _STMT_KIDS else \
                [k for k in _kids(n) if (kind_of(type(k)) or _node_kind(type(k))) == _OPEN]
        else:
            kids = _kids(n)
        if kids:
            kids.reverse()
            push(kids)
    return outs


# The statement children of the core statement classes, in field order: what the filtered
# `_kids` gives them (their other fields hold expressions, regions, buffers and annotation
# values), without building and filtering the list of every field's nodes.
_STMT_KIDS = {
    For: lambda n: [n.body],
    BlockRealize: lambda n: [n.block],
    Block: lambda n: [n.body] if n.init is None else [n.body, n.init],
    SeqStmt: lambda n: list(n.seq),
    IfThenElse: lambda n: [n.then_case] if n.else_case is None else [n.then_case, n.else_case],
    BufferStore: lambda n: [],
    Evaluate: lambda n: [],
}
