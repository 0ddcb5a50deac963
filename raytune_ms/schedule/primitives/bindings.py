"""Rewriting the loop-side expressions of a subtree: loop bounds, block bindings, predicates.

A block's body refers only to its own iterators, so substituting a loop variable never needs to
look inside a block: only For bounds, BlockRealize iter_values/predicates and IfThenElse
conditions between a loop and the blocks under it mention loop variables. Every rewritten
binding is simplified with the ranges of the loops around it, which removes the arithmetic that
split and fuse introduce.
"""

from __future__ import annotations

from ...tir import BlockRealize, For, IfThenElse, Range, SeqStmt, logical_and
from ...tir.arith import Rebinder, simplify


def rewrite_bindings(stmt, mapping: dict, ranges: dict, extra_predicate=None):
    """Substitute `mapping` in the loop-side expressions under `stmt`, simplify the changed
    bindings with `ranges` (Var -> Range of the loops above `stmt`), and conjoin
    `extra_predicate` (already in terms of the new variables) to every top-level block.

    Substitution and simplification happen in one pass per expression (arith.Rebinder)."""
    return _visit(stmt, ranges, Rebinder(mapping, ranges), extra_predicate)


def _visit(s, ranges, rebind, extra_predicate):
    """The walk of rewrite_bindings (a module-level function: a closure calling itself would be
    a reference cycle left for the garbage collector on every call). Statement classes are
    matched exactly (none is subclassed), most common first."""
    t = type(s)
    if t is For:
        mn, ext = rebind(s.min, ranges), rebind(s.extent, ranges)
        inner = dict(ranges)
        inner[s.loop_var] = Range(mn, ext)
        body = _visit(s.body, inner, rebind, extra_predicate)
        if mn is s.min and ext is s.extent:
            return s if body is s.body else s.with_field("body", body)
        return For(s.loop_var, mn, ext, s.kind, body, s.thread_tag, s.annotations)
    if t is BlockRealize:
        values = tuple([rebind(v, ranges) for v in s.iter_values])
        changed = any(a is not b for a, b in zip(values, s.iter_values))
        pred = rebind(s.predicate, ranges)
        if extra_predicate is not None:
            pred = simplify(logical_and(pred, extra_predicate), ranges)
        if not changed and pred is s.predicate:
            return s
        return BlockRealize(values if changed else s.iter_values, pred, s.block)
    if t is SeqStmt:
        items = [_visit(x, ranges, rebind, extra_predicate) for x in s.seq]
        return s if all(a is b for a, b in zip(items, s.seq)) else SeqStmt(items)
    if t is IfThenElse:
        cond = rebind(s.condition, ranges)
        then = _visit(s.then_case, ranges, rebind, extra_predicate)
        other = _visit(s.else_case, ranges, rebind, extra_predicate) if s.else_case is not None else None
        if cond is s.condition and then is s.then_case and other is s.else_case:
            return s
        return IfThenElse(cond, then, other)
    return s
