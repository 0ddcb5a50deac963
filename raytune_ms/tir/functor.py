"""Generic walks over the IR: visit every node, rebuild a tree bottom-up, substitute variables.

Rewrites share every subtree they do not change, so a transformation costs only the path it
touches.
"""

from __future__ import annotations

from .buffer import Buffer
from .expr import Var
from .node import Node


def _children(value):
    if isinstance(value, Node):
        yield value
    elif isinstance(value, tuple):
        for v in value:
            yield from _children(v)


def post_order_visit(node, fn) -> None:
    """Call `fn` on every node below and including `node`, children first (Buffers and Vars too)."""
    stack = [(node, False)]
    while stack:
        n, done = stack.pop()
        if done:
            fn(n)
            continue
        stack.append((n, True))
        kids = []
        for f in n._fields:
            kids.extend(_children(getattr(n, f)))
        for k in reversed(kids):
            stack.append((k, False))


def pre_order_visit(node, fn) -> None:
    """Call `fn` on every node, parents first; a False return skips that node's children."""
    stack = [node]
    while stack:
        n = stack.pop()
        if fn(n) is False:
            continue
        kids = []
        for f in n._fields:
            kids.extend(_children(getattr(n, f)))
        stack.extend(reversed(kids))


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
    """Every node of class `cls` under `node`, in pre-order, without duplicates."""
    out, seen = [], set()

    def fn(n):
        if isinstance(n, cls) and id(n) not in seen:
            seen.add(id(n))
            out.append(n)

    pre_order_visit(node, fn)
    return out
