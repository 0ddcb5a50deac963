"""Buffer compaction as the features see it, computed from index arithmetic instead of by
rewriting the program (`codegen.compact` relaxes, unions and simplifies expressions and then
rebuilds every access; on the search's hot path that was the largest part of a candidate's
features).

The common case is solved with numbers: every access of an allocated buffer indexes it with
sums of loop variables times constants, each inner variable (of a loop inside the allocation)
at most once, and every access of a dimension has the same outer part. Then compaction's box of
a dimension is exactly the interval union of the accesses' ranges over the inner loops, its
start is the outer part plus the smallest constant, and a shifted index is the index's inner
terms plus its constant minus that smallest one (its outer terms cancel). `plan` answers None
for anything else (thread-bound loops, loads in conditions or store indices, non-constant
loop bounds, other index forms, ...); the caller then compacts the program itself.
"""

from __future__ import annotations

from ..codegen.lowered import Allocate
from ..tir import (
    Add,
    Buffer,
    BufferStore,
    Evaluate,
    FloorDiv,
    FloorMod,
    For,
    IfThenElse,
    IntImm,
    Mul,
    SeqStmt,
    Sub,
    Var,
)
from ..tir.affine import structural_key
from ..tir.functor import index_arith, used_buffers, used_vars


class NotPlain(Exception):
    """The program is outside the case `plan` solves."""


class Compacted:
    """A compacted buffer: the new buffer, per dimension the box start's constant (None for a
    dimension kept whole), and per index expression of its accesses (by id) its linear form
    over the inner loop variables ({Var: coef}, constant), worked out once here for the store
    walk."""

    __slots__ = ("buffer", "starts", "forms")

    def __init__(self, buffer, starts, forms):
        self.buffer = buffer
        self.starts = starts
        self.forms = forms


def _plain(e, dtype, scale, coefs, counts, inner) -> int:
    """Add `scale * e` to coefs ({key: [atom, coef]}; a variable's key is its id), count
    variable occurrences; return the constant. Raises NotPlain for anything but Var, IntImm,
    Add, Sub and Mul by an IntImm of one integer dtype, and floordiv/floormod by a constant of
    a subexpression without inner variables (`inner`: their ids) or loads, which is an atom of
    the outer part (a fused outer loop split back)."""
    t = type(e)
    if e.dtype != dtype:
        raise NotPlain
    if t is IntImm:
        return scale * e.value
    if t is Var:
        entry = coefs.get(id(e))
        if entry is None:
            coefs[id(e)] = [e, scale]
        else:
            entry[1] += scale
        counts[id(e)] = counts.get(id(e), 0) + 1
        return 0
    if t is Add:
        return _plain(e.a, dtype, scale, coefs, counts, inner) + _plain(e.b, dtype, scale, coefs, counts, inner)
    if t is Sub:
        return _plain(e.a, dtype, scale, coefs, counts, inner) + _plain(e.b, dtype, -scale, coefs, counts, inner)
    if t is Mul:
        if type(e.b) is IntImm:
            return _plain(e.a, dtype, scale * e.b.value, coefs, counts, inner)
        if type(e.a) is IntImm:
            return _plain(e.b, dtype, scale * e.a.value, coefs, counts, inner)
    if ((t is FloorDiv or t is FloorMod) and type(e.b) is IntImm and e.b.value > 0
            and used_vars(e).isdisjoint(inner) and not used_buffers(e)):
        key = structural_key(e)
        entry = coefs.get(key)
        if entry is None:
            coefs[key] = [e, scale]
        else:
            entry[1] += scale
        return 0
    raise NotPlain


def built_ops(coefs, const) -> tuple:
    """(Add + Sub, Mul) nodes of the canonical expression the simplifier builds for
    `sum(coef * var) + const` (coefs non-zero): positive terms joined by Add, then negative
    ones by Sub, by decreasing |coef| (the first term a Mul when it is negative), a Mul per
    |coef| != 1, the constant last."""
    pos = [c for c in coefs if c > 0]
    neg = sorted((c for c in coefs if c < 0), key=abs, reverse=True)  # the order build emits them
    if not pos and not neg:
        return 0, 0
    muls = sum(1 for c in pos if c != 1)
    addsub = max(len(pos) - 1, 0)
    for k, c in enumerate(neg):
        if not pos and k == 0:
            muls += 1
        else:
            addsub += 1
            muls += c != -1
    if const != 0:
        addsub += 1
    return addsub, muls


def _union(a, b, var_ranges):
    """union_side of two box sides [outer terms, start constant, extent, start is a min()]:
    the interval union when the starts differ by a constant; else compaction's min() of the
    starts, widened by the largest distance of the starts over the loop ranges."""
    if a is None:
        return b
    if a[3]:
        raise NotPlain
    if a[0] == b[0]:
        k = b[1] - a[1]
        return [a[0], a[1] if k >= 0 else b[1], max(a[2], k + b[2]) - min(0, k), False]
    diff = dict(b[0])
    for key, c in a[0].items():
        diff[key] = diff.get(key, 0) - c
    dlo = dhi = b[1] - a[1]
    for key, c in diff.items():
        if not c:
            continue
        if key not in var_ranges:  # an atom: its bound is not worked out here
            raise NotPlain
        first, ext = var_ranges[key]
        dlo += c * first if c > 0 else c * (first + ext - 1)
        dhi += c * (first + ext - 1) if c > 0 else c * first
    return [None, None, max(a[2], b[2]) + max(abs(dlo), abs(dhi)), True]


def plan(body, scan) -> tuple:
    """({id(buffer): Compacted} of the buffers compaction shrinks, {id(store): scan(store)}),
    or raises NotPlain. `scan(store)` gives (counts, loads) of a store's value."""
    loops: list = []  # (var, min, extent) of every enclosing loop
    allocs: dict = {}  # id(buffer) -> [buffer, depth, accesses, open]
    scans: dict = {}
    seen: set = set()  # ids of the buffers accessed so far
    var_ranges: dict = {}  # id(loop var) -> (min, extent)

    def access(buf, indices):
        a = allocs.get(id(buf))
        if a is None:
            seen.add(id(buf))
            return
        if not a[3]:
            raise NotPlain
        a[2].append((indices, loops[a[1]:]))

    def visit(s):
        t = type(s)
        if t is For:
            if (type(s.min) is not IntImm or type(s.extent) is not IntImm or s.kind == "thread_binding"
                    or s.min.dtype != s.loop_var.dtype or s.extent.dtype != s.loop_var.dtype):
                raise NotPlain
            loops.append((s.loop_var, s.min.value, s.extent.value))
            var_ranges[id(s.loop_var)] = (s.min.value, s.extent.value)
            visit(s.body)
            loops.pop()
        elif t is SeqStmt:
            for x in s.seq:
                visit(x)
        elif t is IfThenElse:
            if used_buffers(s.condition):
                raise NotPlain
            visit(s.then_case)
            if s.else_case is not None:
                visit(s.else_case)
        elif t is Allocate:
            if id(s.buffer) in allocs or id(s.buffer) in seen:
                raise NotPlain
            entry = allocs[id(s.buffer)] = [s.buffer, len(loops), [], True]
            visit(s.body)
            entry[3] = False
        elif t is BufferStore:
            for i in s.indices:
                if not index_arith(i) and used_buffers(i):
                    raise NotPlain
            result = scans[id(s)] = scan(s)
            access(s.buffer, s.indices)
            for ld in result[1]:
                access(ld.buffer, ld.indices)
        elif t is Evaluate:
            if used_buffers(s.value):
                raise NotPlain
        else:
            raise NotPlain

    try:
        visit(body)
    finally:
        visit = None  # (the closure refers to itself: a cycle that only the cyclic GC would free)
    out = {}
    for b, _, accesses, _ in allocs.values():
        if b.strides or not accesses:
            continue
        box = [None] * b.ndim  # per dim [outer terms, start constant, extent, start is a min()]
        forms = {}  # id(index) -> ({inner Var: coef}, constant)
        for indices, inner in accesses:
            ranges = {id(v): (lo, ext) for v, lo, ext in inner}
            for d, e in enumerate(indices):
                coefs, counts = {}, {}
                const = _plain(e, e.dtype, 1, coefs, counts, ranges)
                outer, terms = {}, {}
                lo = hi = const
                for key, (v, c) in coefs.items():
                    r = ranges.get(key)
                    if r is None:
                        if c:
                            outer[key] = c
                        continue
                    if counts[key] > 1:
                        raise NotPlain
                    if c:
                        terms[v] = c
                    first, last = r[0], r[0] + r[1] - 1
                    lo += c * first if c > 0 else c * last
                    hi += c * last if c > 0 else c * first
                forms[id(e)] = (terms, const)
                box[d] = _union(box[d], [outer, lo, hi - lo + 1, False], var_ranges)
        starts, shape, changed = [], [], False
        for (_, lo, ext, symbolic), full in zip(box, b.shape):
            if ext >= full or ext <= 0:
                starts.append(None)
                shape.append(full)
            else:
                if symbolic:
                    raise NotPlain
                starts.append(lo)
                shape.append(ext)
                changed = True
        if changed:
            out[id(b)] = Compacted(Buffer(b.name, shape, b.dtype, b.scope), starts, forms)
    return out, scans
