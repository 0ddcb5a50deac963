"""Buffer compaction: an allocated buffer shrinks to the box its accesses touch in one
execution of its allocation scope, and its indices shift by the box's start.

A `local` cache tile written under compute_at keeps the shape of the whole tensor in the IR;
placed inside the tile loops and compacted, it becomes e.g. an 8x32 array that gcc keeps in
vector registers. Padded buffers (explicit strides from storage_align) keep their layout.
"""

from __future__ import annotations

from ..tir import (
    Buffer,
    BufferLoad,
    BufferStore,
    For,
    IfThenElse,
    Range,
    SeqStmt,
    pre_order_visit,
    seq,
    sub,
    transform,
)
from ..tir.analysis import RegionError, relax_range, union_boxes
from ..tir.arith import narrow_ranges, simplify
from ..tir.functor import used_buffers
from .lowered import Allocate


def _scan(body, b) -> tuple:
    """(the ranges of the loops in `body` around a use of `b`, its loads and stores of `b`,
    loads first, each in pre-order, each with the conditions of the `if`s around it in `body`):
    the walk skips every subtree that does not use `b` (a loop var is in scope only in its
    loop's body, so the skipped loops cannot occur in the accesses' indices)."""
    loads, stores, seen, ranges = [], [], set(), {}
    key = id(b)

    def walk(stmt, conds):
        def visit(n):
            if key not in used_buffers(n):
                return False
            t = type(n)
            if t is For:
                ranges[n.loop_var] = Range(n.min, n.extent)
            elif t is IfThenElse:
                walk(n.condition, conds)
                walk(n.then_case, conds + (n.condition,))
                if n.else_case is not None:
                    walk(n.else_case, conds)
                return False
            elif (t is BufferLoad or t is BufferStore) and n.buffer is b and id(n) not in seen:
                seen.add(id(n))
                (loads if t is BufferLoad else stores).append((n, conds))
            return None

        pre_order_visit(stmt, visit)

    try:
        walk(body, ())
    finally:
        walk = None  # (the closure refers to itself: a cycle that only the cyclic GC would free)
    return ranges, loads + stores


def _box(alloc: Allocate, outer: dict, threads: dict, inner: dict, accesses: list):
    """Per dimension (min expr, extent) of the accessed region, or None if unknown. A shared
    buffer serves every thread of a block: its box spans the enclosing thread-bound loops too.
    An access under `if`s counts only the loop values their conditions allow (a cooperative
    fetch whose threads outnumber its elements: the guard bounds the region it writes)."""
    b = alloc.buffer
    inner = dict(inner)
    if b.scope == "shared":
        inner.update(threads)
    everything = dict(outer)
    everything.update(inner)
    boxes = []
    sides: dict = {}  # (id(index expr), its conditions' ids) -> its side: a store and its loads share indices
    narrowed: dict = {(): (inner, everything)}  # conditions' ids -> (relaxed ranges, all ranges) they allow
    for n, conds in accesses:
        where = tuple(id(c) for c in conds)
        if where not in narrowed:
            allowed = everything
            for c in conds:
                allowed = narrow_ranges(c, allowed)
            narrowed[where] = ({v: allowed[v] for v in inner}, allowed)
        relaxed, ranges = narrowed[where]
        box = []
        for i in n.indices:
            side = sides.get((id(i), where))
            if side is None:
                try:
                    side = sides[(id(i), where)] = relax_range(Range(i, 1), relaxed, ranges)
                except RegionError:
                    return None
            box.append(side)
        boxes.append(box)
    if not boxes:
        return None
    try:
        return union_boxes(boxes, everything)
    except RegionError:
        return None


def _compact_one(alloc: Allocate, outer: dict, threads: dict) -> Allocate:
    b = alloc.buffer
    if b.strides:
        return alloc
    inner, accesses = _scan(alloc.body, b)
    box = _box(alloc, outer, threads, inner, accesses)
    if box is None:
        return alloc
    mins, shape, changed = [], [], False
    for (lo, ext), full in zip(box, b.shape):
        if ext >= full or ext <= 0:
            mins.append(None)
            shape.append(full)
        else:
            mins.append(lo)
            shape.append(ext)
            changed = True
    if not changed:
        return alloc
    nb = Buffer(b.name, shape, b.dtype, b.scope)
    ranges = dict(outer)
    ranges.update(inner)

    def shift(indices):
        return [i if m is None else simplify(sub(i, m), ranges) for i, m in zip(indices, mins)]

    def post(n):
        if isinstance(n, BufferLoad) and n.buffer is b:
            return BufferLoad(nb, shift(n.indices))
        if isinstance(n, BufferStore) and n.buffer is b:
            return BufferStore(nb, n.value, shift(n.indices))
        return None

    key = id(b)
    return Allocate(nb, transform(alloc.body, post=post, pre=lambda n: n if key not in used_buffers(n) else None))


def compact_buffers(stmt, outer: dict | None = None, threads: dict | None = None):
    """Compact every Allocate in `stmt` (outermost first, so inner boxes see shifted indices).
    threads: the enclosing loops bound to threadIdx/vthread (collected on the way down)."""
    outer = dict(outer or {})
    threads = dict(threads or {})
    if isinstance(stmt, Allocate):
        stmt = _compact_one(stmt, outer, threads)
        return Allocate(stmt.buffer, compact_buffers(stmt.body, outer, threads))
    if isinstance(stmt, For):
        inner = dict(outer)
        inner[stmt.loop_var] = Range(stmt.min, stmt.extent)
        if stmt.kind == "thread_binding" and not stmt.thread_tag.startswith("blockIdx"):
            threads[stmt.loop_var] = Range(stmt.min, stmt.extent)
        body = compact_buffers(stmt.body, inner, threads)
        return stmt.replace(body=body) if body is not stmt.body else stmt
    if isinstance(stmt, SeqStmt):
        return seq(*[compact_buffers(x, outer, threads) for x in stmt.seq])
    if isinstance(stmt, IfThenElse):
        other = None if stmt.else_case is None else compact_buffers(stmt.else_case, outer, threads)
        return IfThenElse(stmt.condition, compact_buffers(stmt.then_case, outer, threads), other)
    return stmt
