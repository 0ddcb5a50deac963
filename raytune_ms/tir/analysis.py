"""Analyses beside the IR: block kinds, variable use, reducer recognition, and region
inference (relaxing index expressions over loop ranges into boxes).

Region inference is what compute_at / reverse_compute_at / buffer compaction stand on: an
access `A[e]` inside a loop nest touches, for fixed values of the outer loops, the interval of
`e` with the inner loop variables ranging over their loops. `relax` computes that interval
symbolically: the lower end is an expression in the fixed variables, the width a constant
(an upper bound, so boxes may be larger than the exact set but never smaller).
"""

from __future__ import annotations

from .affine import Linear, affine_form, linear
from .arith import bound, build_linear, simplify
from .buffer import Buffer
from .dtype import is_int
from .expr import (
    Add,
    And,
    BufferLoad,
    Call,
    Cast,
    FloorDiv,
    FloorMod,
    IntImm,
    Max,
    Min,
    Mul,
    PrimExpr,
    Range,
    Select,
    Sub,
    Var,
    add,
    const,
    max_expr,
    max_value,
    min_expr,
    min_value,
    mul,
    select,
    sub,
)
from .functor import post_order_visit, used_vars
from .node import Node
from .stmt import Block, BufferStore, For


class RegionError(ValueError):
    """A region could not be bounded by a constant-extent box."""


# ---------------------------------------------------------------------------- variables


def same_expr(a, b) -> bool:
    """Structural equality where variables and buffers compare by identity."""
    if a is b:
        return True
    if type(a) is not type(b) or isinstance(a, (Var, Buffer)):
        return False
    if isinstance(a, Node):
        return all(same_expr(getattr(a, f), getattr(b, f)) for f in a._fields)
    if isinstance(a, tuple):
        return len(a) == len(b) and all(same_expr(x, y) for x, y in zip(a, b))
    return a == b


def const_int(e):
    """The Python int of a constant integer expression, else None."""
    return e.value if isinstance(e, IntImm) and e.dtype != "bool" else None


def injective_over(e, extents: dict):
    """Whether `e` takes a different value at every point of the loops in `extents` (Var ->
    constant extent; other variables fixed): True, False, or None when `e` is not affine.
    Affine terms are injective when, sorted by |coefficient|, each coefficient exceeds the span
    of all smaller terms (a mixed-radix number)."""
    form = affine_form(e)
    if form is None:
        return None
    terms = sorted((abs(c), extents[v]) for v, c in form[0].items() if v in extents and extents[v] > 1)
    span = 0
    for c, ext in terms:
        if c <= span:
            return False
        span += c * (ext - 1)
    return True


def var_plus_const(e, candidates):
    """(var, c) when `e` is `var + c` for a var among `candidates` (ids), else None."""
    s = simplify(e)
    if isinstance(s, Var) and id(s) in candidates:
        return s, 0
    if isinstance(s, (Add, Sub)) and isinstance(s.a, Var) and id(s.a) in candidates \
            and isinstance(s.b, IntImm):
        return s.a, s.b.value if isinstance(s, Add) else -s.b.value
    return None


# ---------------------------------------------------------------------------- blocks


def is_spatial_block(block: Block) -> bool:
    return all(iv.kind == "spatial" for iv in block.iter_vars)


def is_reduction_block(block: Block) -> bool:
    return any(iv.kind == "reduce" for iv in block.iter_vars)


def split_conjuncts(cond) -> list:
    """`a and b and c` as [a, b, c]."""
    if isinstance(cond, And):
        return split_conjuncts(cond.a) + split_conjuncts(cond.b)
    return [cond]


def is_true(cond) -> bool:
    return isinstance(cond, IntImm) and cond.value != 0


class Reducer:
    """A recognised reduction `C[idx] = combine(C[idx], rhs)` with its identity element."""

    __slots__ = ("kind", "buffer", "indices", "rhs", "init_value")

    def __init__(self, kind, buffer, indices, rhs, init_value):
        self.kind = kind  # "sum" | "prod" | "max" | "min"
        self.buffer = buffer
        self.indices = indices
        self.rhs = rhs
        self.init_value = init_value

    def identity(self):
        dtype = self.buffer.dtype
        return {"sum": const(0, dtype), "prod": const(1, dtype), "max": min_value(dtype),
                "min": max_value(dtype)}[self.kind]

    def combine(self, a, b):
        return {"sum": add, "prod": mul, "max": max_expr, "min": min_expr}[self.kind](a, b)


_COMBINERS = {Add: "sum", Mul: "prod", Max: "max", Min: "min"}


def match_reducer(block: Block) -> Reducer | None:
    """Recognise the block's init + body as a commutative reduction, else None.

    Accepts `C = C op rhs`, `C = rhs op C` for op in +, *, max, min (also the fmax/fmin
    intrinsics), and the guarded form `C = select(cond, C op rhs, C)` (a reduction with a
    `where` clause), which becomes `rhs' = select(cond, rhs, identity)`.
    """
    init, body = block.init, block.body
    if not isinstance(init, BufferStore) or not isinstance(body, BufferStore):
        return None
    buf, idx = body.buffer, body.indices
    if init.buffer is not buf or not same_expr(init.indices, idx):
        return None

    def is_self(e):
        return isinstance(e, BufferLoad) and e.buffer is buf and same_expr(e.indices, idx)

    def split(v):
        kind = _COMBINERS.get(type(v))
        a = b = None
        if kind is not None:
            a, b = v.a, v.b
        elif isinstance(v, Call) and v.op in ("fmax", "fmin") and len(v.args) == 2:
            kind, (a, b) = ("max" if v.op == "fmax" else "min"), v.args
        if kind is None:
            return None
        if is_self(a) and not _reads(b, buf):
            return kind, b
        if is_self(b) and not _reads(a, buf):
            return kind, a
        return None

    value, guard = body.value, None
    if isinstance(value, Select) and is_self(value.false_value) and not _reads(value.condition, buf):
        guard, value = value.condition, value.true_value
    found = split(value)
    if found is None:
        return None
    kind, rhs = found
    red = Reducer(kind, buf, idx, rhs, init.value)
    if guard is not None:
        red.rhs = select(guard, rhs, red.identity())
    return red


def _reads(expr, buf) -> bool:
    hit = []

    def fn(n):
        if isinstance(n, BufferLoad) and n.buffer is buf:
            hit.append(n)

    post_order_visit(expr, fn)
    return bool(hit)


# ---------------------------------------------------------------------------- relaxation


def _exact(e, relaxed_ids) -> bool:
    return used_vars(e).isdisjoint(relaxed_ids)


def relax(expr: PrimExpr, relaxed: dict, ranges: dict | None = None):
    """Symbolic interval (lo, hi) of `expr` as the Vars in `relaxed` (Var -> Range) range over
    their ranges; other variables stay symbolic. Falls back to constant bounds from `ranges`
    (every variable's Range) for non-affine forms. Raises RegionError if unbounded."""
    all_ranges = dict(ranges or {})
    all_ranges.update(relaxed)
    return _relax_in(expr, relaxed, {id(v) for v in relaxed}, all_ranges)


def _relax_in(expr, relaxed, rid, all_ranges):
    """`relax` with the ids of the relaxed vars and every range (relaxed ones too) given."""
    try:
        return _relax(expr, relaxed, rid, all_ranges)
    except _Unrelaxable:
        lo, hi = bound(expr, all_ranges)
        if lo is None or hi is None:
            raise RegionError(f"cannot bound {expr!r} over the loop ranges") from None
        return const(lo, expr.dtype), const(hi, expr.dtype)


class _Unrelaxable(Exception):
    pass


def _relax(e, relaxed, rid, ranges):
    if isinstance(e, Var):
        r = relaxed.get(e)
        if r is None:
            return e, e
        lo, ext = r.min, r.extent
        if type(lo) is IntImm and type(ext) is IntImm and lo.dtype == ext.dtype and is_int(lo.dtype):
            return lo, IntImm(lo.value + ext.value - 1, lo.dtype)  # what the line below folds to
        return lo, add(lo, sub(ext, 1))
    if isinstance(e, IntImm) or _exact(e, rid):
        return e, e
    if isinstance(e, Add):
        (alo, ahi), (blo, bhi) = _relax(e.a, relaxed, rid, ranges), _relax(e.b, relaxed, rid, ranges)
        return add(alo, blo), add(ahi, bhi)
    if isinstance(e, Sub):
        (alo, ahi), (blo, bhi) = _relax(e.a, relaxed, rid, ranges), _relax(e.b, relaxed, rid, ranges)
        return sub(alo, bhi), sub(ahi, blo)
    if isinstance(e, Mul):
        for x, c in ((e.a, e.b), (e.b, e.a)):
            k = const_int(c)
            if k is not None:
                lo, hi = _relax(x, relaxed, rid, ranges)
                return (mul(lo, k), mul(hi, k)) if k >= 0 else (mul(hi, k), mul(lo, k))
        raise _Unrelaxable
    if isinstance(e, (FloorDiv, FloorMod)):
        c = const_int(e.b)
        if c is None or c <= 0:
            raise _Unrelaxable
        lo, hi = _relax(e.a, relaxed, rid, ranges)
        if isinstance(e, FloorDiv):
            return FloorDiv(lo, e.b), FloorDiv(hi, e.b)
        # no wrap-around when lo and hi fall in the same period
        same = simplify(sub(FloorDiv(hi, e.b), FloorDiv(lo, e.b)), ranges)
        if const_int(same) == 0:
            return FloorMod(lo, e.b), FloorMod(hi, e.b)
        return const(0, e.dtype), const(c - 1, e.dtype)
    if isinstance(e, (Min, Max)):
        (alo, ahi), (blo, bhi) = _relax(e.a, relaxed, rid, ranges), _relax(e.b, relaxed, rid, ranges)
        f = min_expr if isinstance(e, Min) else max_expr
        return f(alo, blo), f(ahi, bhi)
    if isinstance(e, Select) and _exact(e.condition, rid):
        (alo, ahi) = _relax(e.true_value, relaxed, rid, ranges)
        (blo, bhi) = _relax(e.false_value, relaxed, rid, ranges)
        return min_expr(alo, blo), max_expr(ahi, bhi)
    if isinstance(e, Cast):
        lo, hi = _relax(e.value, relaxed, rid, ranges)
        return Cast(e.dtype, lo), Cast(e.dtype, hi)
    raise _Unrelaxable


_BOUNDED_OPS = (Add, Sub, Mul, Min, Max)


def always_bounded(expr, var_ids) -> bool:
    """Whether every interval `bound` computes for `expr`, and for what `relax`/`simplify` make
    of it, is finite when the Vars of `var_ids` (ids) have constant ranges: `expr` holds only
    those Vars, integer constants, + - * min max, and floordiv/floormod by positive constants.
    Then relax_range and union_side cannot fail on it (what lets compute_at's candidate check
    skip region inference)."""
    stack = [expr]
    while stack:
        e = stack.pop()
        t = type(e)
        if t is Var:
            if id(e) not in var_ids:
                return False
        elif t is IntImm:
            if not is_int(e.dtype):
                return False
        elif t in _BOUNDED_OPS:
            stack.append(e.a)
            stack.append(e.b)
        elif t is FloorDiv or t is FloorMod:
            if type(e.b) is not IntImm or e.b.value <= 0:
                return False
            stack.append(e.a)
        else:
            return False
    return True


def relax_range(rng: Range, relaxed: dict, ranges: dict) -> tuple:
    """A box side (min expr, constant extent) covering `rng` with `relaxed` vars ranging.

    The extent is the constant bound of `hi - lo + 1` over every variable's range, so the box
    is exact for affine accesses and conservative otherwise."""
    all_ranges = dict(ranges)
    all_ranges.update(relaxed)
    return _relax_range(rng, relaxed, {id(v) for v in relaxed}, all_ranges)


def relax_box(region, relaxed: dict, ranges: dict) -> list:
    """`[relax_range(r, relaxed, ranges) for r in region]`, sharing the merged ranges."""
    all_ranges = dict(ranges)
    all_ranges.update(relaxed)
    rid = {id(v) for v in relaxed}
    return [_relax_range(r, relaxed, rid, all_ranges) for r in region]


def _relax_range(rng, relaxed, rid, all_ranges):
    fast = _relax_affine_range(rng, relaxed)
    if fast is not None:
        return fast
    lo, hi = _relax_in(rng.min, relaxed, rid, all_ranges)
    ext = const_int(rng.extent)
    if ext is None:
        _, ext_hi = bound(rng.extent, all_ranges)
        if ext_hi is None:
            raise RegionError(f"region extent {rng.extent!r} is not bounded")
        ext = ext_hi
        hi = add(hi, const(ext - 1, rng.min.dtype))
    else:
        hi = add(hi, const(ext - 1, rng.min.dtype))
    lo = simplify(lo, all_ranges)
    diff = linear(hi)
    diff.add(linear(lo), -1)
    # where hi - lo cancels in the linear view (the usual affine case), simplify would fold
    # it to that constant (it simplifies atom by atom), so it need not be built
    width = None if diff.is_const() else simplify(sub(hi, lo), all_ranges)
    w = diff.const if width is None else const_int(width)
    if w is None:
        _, w = bound(width, all_ranges)
        if w is None:
            raise RegionError(
                f"the region [{lo!r}, {simplify(hi, all_ranges)!r}] has no constant extent")
    return lo, max(w + 1, 0)


def _relax_affine_range(rng, relaxed):
    """`_relax_range` of the common case, computed on linear views instead of built and
    simplified expressions: a constant extent and a min made of Add, Sub and Mul by a nonzero
    constant over variables and constants of one integer dtype, the relaxed ones with constant
    ranges. The lower end is what simplifying the relaxed expression gives (the terms in the same
    first-appearance order) and the width is the constant the two ends differ by. None when the
    range is not of that form."""
    ext = rng.extent
    e = rng.min
    dtype = e.dtype
    if type(ext) is not IntImm or not is_int(dtype):
        return None
    lo, hi = Linear(), Linear()
    if not _relax_affine(e, 1, relaxed, dtype, lo, hi):
        return None
    return build_linear(lo, dtype), max(hi.const - lo.const + ext.value, 0)


def _relax_affine(e, scale, relaxed, dtype, lo, hi) -> bool:
    """Accumulate the interval of `scale * e` into the linear forms `lo` and `hi` (each variable
    term in both, in order of appearance; relaxed variables as constants); False where `e` is
    not of `_relax_affine_range`'s form."""
    t = type(e)
    if t is Var:
        if e.dtype != dtype:
            return False
        r = relaxed.get(e)
        if r is None:
            lo.put(e, e, scale)
            hi.put(e, e, scale)
            return True
        rmin, rext = r.min, r.extent
        if type(rmin) is not IntImm or type(rext) is not IntImm or rmin.dtype != dtype or rext.dtype != dtype:
            return False
        first, last = rmin.value, rmin.value + rext.value - 1
        if scale < 0:
            first, last = last, first
        lo.const += scale * first
        hi.const += scale * last
        return True
    if t is IntImm:
        if e.dtype != dtype:
            return False
        lo.const += scale * e.value
        hi.const += scale * e.value
        return True
    if t is Add:
        return _relax_affine(e.a, scale, relaxed, dtype, lo, hi) and _relax_affine(e.b, scale, relaxed, dtype, lo, hi)
    if t is Sub:
        return _relax_affine(e.a, scale, relaxed, dtype, lo, hi) and _relax_affine(e.b, -scale, relaxed, dtype, lo, hi)
    if t is Mul:
        x, k = (e.a, e.b) if type(e.b) is IntImm else (e.b, e.a)
        if type(k) is not IntImm or k.dtype != dtype or k.value == 0:
            return False
        return _relax_affine(x, scale * k.value, relaxed, dtype, lo, hi)
    return False


def union_side(a: tuple, b: tuple, ranges: dict) -> tuple:
    """The smallest constant-extent side covering sides a and b (each (min expr, extent))."""
    (amin, aext), (bmin, bext) = a, b
    d = simplify(sub(bmin, amin), ranges)
    k = const_int(d)
    if k is not None:
        lo = min(0, k)
        hi = max(aext, k + bext)
        return (amin if k >= 0 else bmin), hi - lo
    dlo, dhi = bound(d, ranges)
    if dlo is None or dhi is None:
        raise RegionError(f"cannot bound the distance between region starts {amin!r} and {bmin!r}")
    # from min(amin, bmin), either end is at most the larger width plus the distance away
    return min_expr(amin, bmin), max(aext, bext) + max(abs(dlo), abs(dhi))


def union_boxes(boxes: list, ranges: dict) -> list:
    """Union of boxes (lists of (min expr, extent) per dimension)."""
    out = list(boxes[0])
    for box in boxes[1:]:
        out = [union_side(a, b, ranges) for a, b in zip(out, box)]
    return out


def loop_ranges(stmts) -> dict:
    """Var -> Range of every For among `stmts` (e.g. a tree path), what simplify/bound need
    under that loop nest."""
    return {f.loop_var: Range(f.min, f.extent) for f in stmts if isinstance(f, For)}


def aligned_strides(shape, strides, axis: int, factor: int, offset: int) -> tuple:
    """Element strides for a buffer of `shape` (current `strides`, () = row-major) with the
    stride of dimension `axis` padded up to the smallest value with `stride % factor == offset`;
    padding already present on other dimensions is kept."""
    n = len(shape)
    old = list(strides) if strides else [0] * n
    if not strides:
        acc = 1
        for d in range(n - 1, -1, -1):
            old[d] = acc
            acc *= shape[d]
    new = [1] * n
    new[n - 1] = old[n - 1]
    for d in range(n - 2, -1, -1):
        s = new[d + 1] * shape[d + 1]
        if d == axis:
            s += (offset - s) % factor
        else:
            s += old[d] - old[d + 1] * shape[d + 1]
        new[d] = s
    return tuple(new)
