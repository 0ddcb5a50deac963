"""Generic walks over the IR: visit every node, rebuild a tree bottom-up, substitute variables.

Rewrites share every subtree they do not change, so a transformation costs only the path it
touches.
"""

from __future__ import annotations

from .buffer import Buffer
from .expr import IntImm, IterVar, PrimExpr, Range, Var
from .node import Node
from .stmt import BufferRegion, Stmt

_LEAVES = (Var, Buffer)
_NON_STMT = (PrimExpr, BufferRegion, Range, IterVar, Buffer)


def _tuple_kids(values, out) -> None:
    for v in values:
        if isinstance(v, Node):
            out.append(v)
        elif type(v) is tuple:
            _tuple_kids(v, out)


def _kids(n) -> list:
    """Child nodes of `n` in field order (nodes inside tuple fields, nested tuples too)."""
    out = []
    for f in n._fields:
        v = getattr(n, f)
        if isinstance(v, Node):
            out.append(v)
        elif type(v) is tuple and v:
            _tuple_kids(v, out)
    return out


def used_vars(node) -> set:
    """ids of the Vars occurring in `node`."""
    out = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Var):
            out.add(id(n))
        elif not isinstance(n, (IntImm, Buffer)):
            stack.extend(_kids(n))
    return out


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
    memo = {}

    def rewrite_value(value):
        if isinstance(value, Node):
            return rewrite(value)
        if isinstance(value, tuple):
            new = tuple(rewrite_value(v) for v in value)
            return value if all(a is b for a, b in zip(new, value)) else new
        return value

    def rewrite(n):
        key = id(n)
        if key in memo:
            return memo[key]
        if isinstance(n, (Var, Buffer)):
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
        changes = {}
        for f in n._fields:
            old = getattr(n, f)
            new = rewrite_value(old)
            if new is not old:
                changes[f] = new
        cur = n.replace(**changes) if changes else n
        if post is not None:
            out = post(cur)
            if out is not None:
                cur = out
        memo[key] = cur
        return cur

    return rewrite(node)


def substitute(node, mapping: dict):
    """Replace Vars (keys) by expressions, and Buffers by Buffers, everywhere in `node`."""
    if not mapping:
        return node
    return transform(node, pre=lambda n: mapping.get(n) if isinstance(n, (Var, Buffer)) else None)


def collect(node, cls) -> list:
    """Every node of class `cls` under `node`, in pre-order, without duplicates.

    Statements never sit inside expressions, so collecting statement classes skips every
    expression subtree (the common case, e.g. all Blocks of a function, stays fast)."""
    out, seen = [], set()
    classes = cls if isinstance(cls, tuple) else (cls,)
    prune = _NON_STMT if all(issubclass(c, Stmt) for c in classes) else ()

    def fn(n):
        if isinstance(n, cls) and id(n) not in seen:
            seen.add(id(n))
            out.append(n)
        if prune and isinstance(n, prune):
            return False
        return None

    pre_order_visit(node, fn)
    return out
