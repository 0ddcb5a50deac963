"""Loop-nest transformations: split, fuse, reorder, add_unit_loop (pure PrimFunc -> PrimFunc).

Loops are named by their loop variable. New loops are serial and start at 0; the blocks under
a transformed loop get their bindings rewritten in terms of the new loop variables and
simplified, and a split whose factors overshoot the extent guards the blocks with a predicate.
"""

from __future__ import annotations

from ...tir import BlockRealize, For, IntImm, Range, Var, const, floordiv, floormod
from ...tir.analysis import loop_ranges
from ...tir.dtype import bytes_of
from ...tir.functor import used_vars
from ..error import ScheduleError
from ..tree import block_path, loop_path, replace_in_func
from .bindings import rewrite_bindings


def _const_extent(loop, what) -> int:
    if not isinstance(loop.extent, IntImm):
        raise ScheduleError(
            f"cannot {what} loop {loop.loop_var.name!r}: its extent {loop.extent!r} "
            "is not a constant"
        )
    return loop.extent.value


def split(func, loop_var, factors, preserve_unit_iters=True):
    """Split a loop into len(factors) nested loops; one factor may be None (inferred).

    Returns (func, new loop vars outer->inner)."""
    path = loop_path(func, loop_var)
    loop = path[-1]
    name = loop_var.name
    extent = _const_extent(loop, "split")
    factors = list(factors)
    if len(factors) < 2:
        raise ScheduleError(f"split of loop {name!r} needs at least 2 factors, got {factors}")
    if sum(f is None for f in factors) > 1:
        raise ScheduleError(
            f"split of loop {name!r}: at most one factor may be None, got {factors}")
    known = 1
    for f in factors:
        if f is not None:
            if isinstance(f, bool) or not isinstance(f, int) or f < 1:
                raise ScheduleError(
                    f"split of loop {name!r}: factors must be positive ints or None, got {factors}"
                )
            known *= f
    if None in factors:
        factors[factors.index(None)] = -(-extent // known)
        known = 1
        for f in factors:
            known *= f
    if known < extent:
        raise ScheduleError(
            f"split of loop {name!r}: factors {factors} multiply to {known}, "
            f"less than the loop extent {extent}"
        )
    dtype = loop_var.dtype
    new_vars = [Var(f"{name}_{k}", dtype) for k in range(len(factors))]
    ranges = loop_ranges(path[:-1])
    offset = None
    stride = 1
    for v, f in zip(reversed(new_vars), reversed(factors)):
        ranges[v] = Range(0, f)
        if f != 1 or preserve_unit_iters:
            term = v if stride == 1 else v * const(stride, dtype)
            offset = term if offset is None else term + offset
        stride *= f
    if offset is None:
        offset = const(0, dtype)
    pred = (offset < const(extent, dtype)) if known > extent else None
    value = offset if _is_zero(loop.min) else loop.min + offset
    body = rewrite_bindings(loop.body, {loop_var: value}, ranges, pred)
    for v, f in zip(reversed(new_vars), reversed(factors)):
        body = For(v, 0, const(f, dtype), "serial", body)
    return replace_in_func(func, path, body), new_vars


def _is_zero(e):
    return isinstance(e, IntImm) and e.value == 0


def _wider(dtypes):
    return max(dtypes, key=bytes_of)


def fuse(func, loop_vars, preserve_unit_iters=True):
    """Fuse directly nested loops (outer first) into one. Returns (func, fused var)."""
    if not loop_vars:
        raise ScheduleError("fuse needs at least one loop")
    _check_distinct(loop_vars, "fuse")
    path = loop_path(func, loop_vars[0])
    chain = [path[-1]]
    for v in loop_vars[1:]:
        body = chain[-1].body
        if not (isinstance(body, For) and body.loop_var is v):
            loop_path(func, v)  # a vanished loop reports itself first
            raise ScheduleError(
                f"cannot fuse loops {chain[-1].loop_var.name!r} and {v.name!r}: they are not "
                "directly nested (each loop must be the only statement in the previous one)"
            )
        chain.append(body)
    extents = [_const_extent(lp, "fuse") for lp in chain]
    for i, lp in enumerate(chain):
        ov = _range_dependency(lp, [outer.loop_var for outer in chain[:i]])
        if ov is not None:
            raise ScheduleError(
                f"cannot fuse loop {lp.loop_var.name!r}: its range depends on loop {ov.name!r}"
            )
    dtype = _wider([v.dtype for v in loop_vars])
    total = 1
    for e in extents:
        total *= e
    fused = Var("_".join(v.name for v in loop_vars) + "_fused", dtype)
    mapping = {}
    stride = 1
    for lp, e in zip(reversed(chain), reversed(extents)):
        if e == 1:
            value = const(0, dtype)
        else:
            value = floordiv(fused, stride) if stride > 1 else fused
            if stride * e < total:
                value = floormod(value, e)
        mapping[lp.loop_var] = value if _is_zero(lp.min) else lp.min + value
        stride *= e
    ranges = loop_ranges(path[:-1])
    ranges[fused] = Range(0, total)
    body = rewrite_bindings(chain[-1].body, mapping, ranges)
    return replace_in_func(func, path, For(fused, 0, const(total, dtype), "serial", body)), fused


def _check_distinct(loop_vars, what):
    seen = set()
    for v in loop_vars:
        if v in seen:
            raise ScheduleError(f"{what}: loop {v.name!r} is given more than once")
        seen.add(v)


def reorder(func, loop_vars):
    """Reorder loops that lie on one chain of singly nested loops (no block or sequence
    between the outermost and the innermost); loops not named keep their places."""
    if not loop_vars:
        return func
    _check_distinct(loop_vars, "reorder")
    paths = [loop_path(func, v) for v in loop_vars]
    deepest = max(paths, key=len)
    pos_in_deepest = {id(s): i for i, s in enumerate(deepest)}
    depths = []
    for v, p in zip(loop_vars, paths):
        d = pos_in_deepest.get(id(p[-1]))
        if d is None:
            raise ScheduleError(
                f"cannot reorder loops {v.name!r} and {deepest[-1].loop_var.name!r}: "
                "they are not in the same loop nest"
            )
        depths.append(d)
    top, bottom = min(depths), max(depths)
    chain = deepest[top:bottom + 1]
    for s in chain:
        if not isinstance(s, For):
            what = f"block {s.block.name!r}" if isinstance(s, BlockRealize) else type(s).__name__
            raise ScheduleError(
                f"cannot reorder loops {', '.join(repr(v.name) for v in loop_vars)}: a {what} "
                "sits between them (they must form a single chain of nested loops)"
            )
    order = sorted(range(len(loop_vars)), key=lambda k: depths[k])
    slots = {depths[k] - top: loop_vars[j] for k, j in zip(order, range(len(loop_vars)))}
    by_var = {lp.loop_var: lp for lp in chain}
    new_chain = [by_var[slots[i]] if i in slots else chain[i] for i in range(len(chain))]
    for i, lp in enumerate(new_chain):
        bv = _range_dependency(lp, [inner.loop_var for inner in new_chain[i + 1:]])
        if bv is not None:
            raise ScheduleError(
                f"cannot reorder: the range of loop {lp.loop_var.name!r} depends on loop "
                f"{bv.name!r}, which would move inside it"
            )
    body = chain[-1].body
    for lp in reversed(new_chain):
        body = lp.with_field("body", body)
    return replace_in_func(func, deepest[:top + 1], body)


def add_unit_loop(func, target):
    """Wrap a block (name) or loop (Var) in a new loop of extent 1. Returns (func, var)."""
    path = block_path(func, target) if isinstance(target, str) else loop_path(func, target)
    u = Var("u")
    return replace_in_func(func, path, For(u, 0, 1, "serial", path[-1])), u


def _range_dependency(loop, loop_vars):
    """The first of `loop_vars` that `loop`'s min or extent uses, or None."""
    for e in (loop.min, loop.extent):
        if isinstance(e, IntImm):
            continue
        used = used_vars(e)
        for v in loop_vars:
            if id(v) in used:
                return v
    return None
