"""Integer arithmetic on index expressions: interval bounds and a canonicalising simplifier.

Scheduling rewrites loop bindings (split makes `i -> i0*8 + i1`, fuse makes `i -> f // 16`), so
index expressions pile up arithmetic that is provably redundant given the loop ranges. `bound`
gives an inclusive integer interval for an expression; `simplify` puts affine parts into a
canonical linear form (terms sorted by decreasing coefficient, then first appearance, so the
same input always gives the same output) and applies the floor-division rules that undo
split/fuse arithmetic. Both work on a linear view `sum(coef * atom) + const` in which an atom is
a variable or a non-affine subexpression, so `i*8 + j - i*8` bounds as `j`.
"""

from __future__ import annotations

import math

from .affine import Linear, accumulate, linear, one_atom, structural_key
from .dtype import is_int
from .expr import (
    EQ,
    GE,
    GT,
    LE,
    LT,
    NE,
    Add,
    And,
    Cast,
    CmpOp,
    FloorDiv,
    FloorMod,
    IntImm,
    Max,
    Min,
    Mul,
    Not,
    Or,
    PrimExpr,
    Range,
    Select,
    Sub,
    Var,
    cast,
    const,
    logical_and,
    logical_not,
    logical_or,
    max_expr,
    min_expr,
    select,
)
from .functor import used_vars

# ---------------------------------------------------------------------------- bounds


def _var_bound(v, ranges, depth):
    r = ranges.get(v) if ranges else None
    if r is None:
        return None, None
    mn, ext = r.min, r.extent
    if isinstance(mn, IntImm) and isinstance(ext, IntImm):
        return mn.value, mn.value + ext.value - 1
    if depth > 8:
        return None, None
    lo, _ = _bound(mn, ranges, depth + 1)
    hi_min = _bound(mn, ranges, depth + 1)[1]
    hi_ext = _bound(ext, ranges, depth + 1)[1]
    hi = None if hi_min is None or hi_ext is None else hi_min + hi_ext - 1
    return lo, hi


def _mul_iv(a, b):
    (alo, ahi), (blo, bhi) = a, b
    if None in (alo, ahi, blo, bhi):
        if alo is not None and ahi is not None and alo == ahi == 0:
            return 0, 0
        if blo is not None and bhi is not None and blo == bhi == 0:
            return 0, 0
        return None, None
    p = (alo * blo, alo * bhi, ahi * blo, ahi * bhi)
    return min(p), max(p)


def _scale_iv(iv, c):
    lo, hi = iv
    if c == 0:
        return 0, 0
    if c > 0:
        return (None if lo is None else lo * c), (None if hi is None else hi * c)
    return (None if hi is None else hi * c), (None if lo is None else lo * c)


def _lin_bound(lin: Linear, ranges, depth):
    lo = hi = lin.const
    for atom, c in lin.terms.values():
        if not c:
            continue
        alo, ahi = _scale_iv(_atom_bound(atom, ranges, depth), c)
        lo = None if lo is None or alo is None else lo + alo
        hi = None if hi is None or ahi is None else hi + ahi
        if lo is None and hi is None:
            break
    return lo, hi


def _atom_bound(e, ranges, depth):
    if isinstance(e, Var):
        return _var_bound(e, ranges, depth)
    if isinstance(e, IntImm):
        return e.value, e.value
    if isinstance(e, Mul):
        return _mul_iv(_bound(e.a, ranges, depth), _bound(e.b, ranges, depth))
    if isinstance(e, FloorDiv) and isinstance(e.b, IntImm) and e.b.value > 0:
        c = e.b.value
        lo, hi = _bound(e.a, ranges, depth)
        return (None if lo is None else lo // c), (None if hi is None else hi // c)
    if isinstance(e, FloorMod) and isinstance(e.b, IntImm) and e.b.value > 0:
        c = e.b.value
        lo, hi = _bound(e.a, ranges, depth)
        if lo is not None and hi is not None and lo // c == hi // c:
            return lo % c, hi % c
        return 0, c - 1
    if isinstance(e, (Min, Max)):
        (alo, ahi), (blo, bhi) = _bound(e.a, ranges, depth), _bound(e.b, ranges, depth)
        if isinstance(e, Min):
            lo = None if alo is None or blo is None else min(alo, blo)
            hi = bhi if ahi is None else ahi if bhi is None else min(ahi, bhi)
        else:
            lo = blo if alo is None else alo if blo is None else max(alo, blo)
            hi = None if ahi is None or bhi is None else max(ahi, bhi)
        return lo, hi
    if isinstance(e, Select):
        (alo, ahi), (blo, bhi) = (_bound(e.true_value, ranges, depth),
                                  _bound(e.false_value, ranges, depth))
        lo = None if alo is None or blo is None else min(alo, blo)
        hi = None if ahi is None or bhi is None else max(ahi, bhi)
        return lo, hi
    if isinstance(e, Cast) and is_int(e.dtype) and is_int(e.value.dtype):
        return _bound(e.value, ranges, depth)
    if isinstance(e, CmpOp) or isinstance(e, Not):
        return 0, 1
    return None, None


def _bound(e, ranges, depth=0):
    if isinstance(e, (Add, Sub, Mul)):
        return _lin_bound(linear(e), ranges, depth)
    return _atom_bound(e, ranges, depth)


def bound(expr: PrimExpr, ranges: dict | None = None) -> tuple:
    """Inclusive integer interval (lo, hi) of `expr` given `ranges` (Var -> Range); None for an
    unbounded side (variables without a range, non-affine parts that cannot be bounded)."""
    if isinstance(expr, int):
        return expr, expr
    return _bound(expr, ranges or {})


# ---------------------------------------------------------------------------- simplify


def _decide(op, lo, hi):
    """True/False when `d op 0` holds/fails for every d in [lo, hi] (None: unbounded), else
    None."""
    below = hi is not None and hi < 0  # d < 0 everywhere
    nonpos = hi is not None and hi <= 0
    above = lo is not None and lo > 0
    nonneg = lo is not None and lo >= 0
    if op is LT:
        return True if below else False if nonneg else None
    if op is LE:
        return True if nonpos else False if above else None
    if op is GT:
        return True if above else False if nonpos else None
    if op is GE:
        return True if nonneg else False if below else None
    if nonneg and nonpos:  # d == 0
        return op is EQ
    if above or below:
        return op is NE
    return None


class _Simplifier:
    def __init__(self, ranges, canonical=None, subst=None):
        self.ranges = ranges or {}
        self.canonical = canonical or ()
        self.subst = subst or {}  # Var -> (simplified value, its linear view)
        self.hit = False  # whether a substituted variable occurred

    def bound(self, e):
        return _bound(e, self.ranges)

    def lin_bound(self, lin):
        return _lin_bound(lin, self.ranges, 0)

    # --- integer expressions through the linear view

    def lin(self, e) -> Linear:
        """Linear view whose atoms are already simplified."""
        out = Linear()
        self.acc(e, 1, out)
        return out

    def acc(self, e, scale, out) -> None:
        """Accumulate `scale * e` into the linear form `out` (atoms simplified)."""
        t = type(e)
        if t is IntImm:
            out.const += scale * e.value
        elif t is Add:
            self.acc(e.a, scale, out)
            self.acc(e.b, scale, out)
        elif t is Sub:
            self.acc(e.a, scale, out)
            self.acc(e.b, -scale, out)
        elif isinstance(e, Var):
            r = self.subst.get(e) if self.subst else None
            if r is None:
                out.put(e, e, scale)
            else:
                self.hit = True
                out.add(r[1], scale)
        elif t is Mul:
            if type(e.b) is IntImm:
                self.acc(e.a, scale * e.b.value, out)
                return
            if type(e.a) is IntImm:
                self.acc(e.b, scale * e.a.value, out)
                return
            la, lb = self.lin(e.a), self.lin(e.b)
            if la.is_const():
                out.add(lb, scale * la.const)
            elif lb.is_const():
                out.add(la, scale * lb.const)
            else:
                atom = Mul(self.build(la, e.a.dtype), self.build(lb, e.b.dtype))
                out.put(structural_key(atom), atom, scale)
        elif id(e) in self.canonical:
            accumulate(e, scale, out)
        elif t is FloorDiv:
            accumulate(self.floordiv(e), scale, out)
        elif t is FloorMod:
            accumulate(self.floormod(e), scale, out)
        else:
            atom = self.other(e)
            out.put(structural_key(atom), atom, scale)

    def diff(self, a, b) -> Linear:
        out = Linear()
        self.acc(a, 1, out)
        self.acc(b, -1, out)
        return out

    def build(self, lin: Linear, dtype: str) -> PrimExpr:
        """The canonical expression of a linear form: terms by decreasing |coef| then first
        appearance, positive terms first, constant last."""
        terms = [(a, c) for a, c in lin.terms.values() if c]
        cst = lin.const
        if any(type(a) is FloorMod for a, _ in terms):
            merged, extra = self._merge_div_mod(lin.live())
            terms = [(a, c) for _, a, c in merged]
            cst += extra
        if len(terms) > 1:
            terms.sort(key=lambda t: -abs(t[1]))  # stable: ties keep first appearance
        out = None
        for atom, c in terms:
            if c > 0:
                t = atom if c == 1 else Mul(atom, IntImm(c, atom.dtype))
                out = t if out is None else Add(out, t)
        for atom, c in terms:
            if c < 0:
                if out is None:
                    out = Mul(atom, IntImm(c, atom.dtype))
                else:
                    out = Sub(out, atom if c == -1 else Mul(atom, IntImm(-c, atom.dtype)))
        if out is None:
            return const(cst, dtype)
        if cst > 0:
            out = Add(out, IntImm(cst, out.dtype))
        elif cst < 0:
            out = Sub(out, IntImm(-cst, out.dtype))
        return out if out.dtype == dtype else cast(dtype, out)

    @staticmethod
    def _merge_div_mod(terms):
        """`(x // c) * k*c + (x % c) * k` -> `x * k` (what fuse after split leaves behind).
        Returns (terms, constant to add)."""
        extra = 0
        while True:
            found = None
            for mk, m, mc in terms:
                if isinstance(m, FloorMod) and isinstance(m.b, IntImm):
                    dkey = (FloorDiv, structural_key(m.a), structural_key(m.b))
                    for dk, _, dc in terms:
                        if dk == dkey and dc == mc * m.b.value:
                            found = (mk, dk, m, mc)
                            break
                if found:
                    break
            if not found:
                return terms, extra
            mk, dk, m, mc = found
            merged = Linear({k: [a, c] for k, a, c in terms if k is not mk and k is not dk}, extra)
            merged.add(linear(m.a), mc)
            extra = merged.const
            terms = merged.live()

    def int_expr(self, e) -> PrimExpr:
        return self.build(self.lin(e), e.dtype)

    # --- floor division and modulo by a positive constant

    def _split_by(self, lin: Linear, g: int):
        """(X, rest) with lin = g*X + rest: terms/constant divisible by g go to X."""
        big, small = Linear(), Linear()
        for k, a, c in lin.live():
            if c % g == 0:
                big.terms[k] = [a, c // g]
            else:
                small.terms[k] = [a, c]
        big.const, small.const = divmod(lin.const, g)
        return big, small

    def _div_mod(self, e, is_div):
        a = e.a
        c = e.b.value if isinstance(e.b, IntImm) else None
        if c is None or c <= 0 or not is_int(e.dtype):
            na, nb = self.expr(e.a), self.expr(e.b)
            if na is e.a and nb is e.b:
                return e
            return (FloorDiv if is_div else FloorMod)(na, nb)
        if c == 1:
            return self.int_expr(a) if is_div else const(0, e.dtype)
        lin = self.lin(a)
        dtype = e.dtype
        # nested: (x // a) // b -> x // (a*b); (x % a) % b -> x % b when b | a
        live = lin.live()
        if len(live) == 1 and lin.const == 0 and live[0][2] == 1:
            inner = live[0][1]
            k = inner.b.value if isinstance(inner, (FloorDiv, FloorMod)) and \
                isinstance(inner.b, IntImm) else 0
            if is_div and isinstance(inner, FloorDiv) and k > 0:
                return self._div_mod(FloorDiv(inner.a, IntImm(k * c, dtype)), True)
            if not is_div and isinstance(inner, FloorMod) and k > 0 and k % c == 0:
                return self._div_mod(FloorMod(inner.a, IntImm(c, dtype)), False)
        # pull out multiples of c: (c*X + y) // c = X + y // c ; (c*X + y) % c = y % c
        big, rest = self._split_by(lin, c)
        lo, hi = self.lin_bound(rest)
        if lo is not None and hi is not None and lo // c == hi // c:
            if is_div:
                return self.build(big.add(Linear({}, lo // c)), dtype)
            return self.build(rest.add(Linear({}, -(lo // c) * c)), dtype)
        # a common factor g of c: (g*X + s) // c = X // (c/g), (g*X + s) % c = (X % (c/g))*g + s
        # when 0 <= s < g
        gs = sorted({math.gcd(abs(t[2]), c) for t in rest.live()} - {1, c}, reverse=True)
        for g in gs:
            X, s = self._split_by(rest, g)
            slo, shi = self.lin_bound(s)
            if slo is not None and shi is not None and 0 <= slo and shi < g:
                xe = self.build(X, dtype)
                if is_div:
                    q = self._div_mod(FloorDiv(xe, IntImm(c // g, dtype)), True)
                    return self.build(big.add(linear(q)), dtype)
                r = self._div_mod(FloorMod(xe, IntImm(c // g, dtype)), False)
                return self.build(linear(r).scaled(g).add(s), dtype)
        re = self.build(rest, dtype)
        if is_div:
            return self.build(big.add(one_atom(FloorDiv(re, IntImm(c, dtype)))), dtype)
        return FloorMod(re, IntImm(c, dtype))

    def floordiv(self, e):
        return self._div_mod(e, True)

    def floormod(self, e):
        return self._div_mod(e, False)

    # --- everything else

    def other(self, e):
        """Non-linear integer nodes and all non-integer nodes: simplify children, fold."""
        if isinstance(e, (Min, Max)):
            a, b = self.expr(e.a), self.expr(e.b)
            if is_int(e.dtype):
                lo, hi = _lin_bound(self.diff(a, b), self.ranges, 0)
                if hi is not None and hi <= 0:
                    return a if isinstance(e, Min) else b
                if lo is not None and lo >= 0:
                    return b if isinstance(e, Min) else a
            return (min_expr if isinstance(e, Min) else max_expr)(a, b)
        if isinstance(e, Select):
            return select(self.expr(e.condition), self.expr(e.true_value), self.expr(e.false_value))
        if isinstance(e, Cast):
            return cast(e.dtype, self.expr(e.value))
        return self.generic(e)

    def generic(self, e):
        changes = {}
        for f in e._fields:
            v = getattr(e, f)
            if isinstance(v, PrimExpr):
                nv = self.expr(v)
            elif isinstance(v, tuple) and v and isinstance(v[0], PrimExpr):
                nv = tuple(self.expr(x) for x in v)
                if all(x is y for x, y in zip(nv, v)):
                    nv = v
            else:
                continue
            if nv is not v:
                changes[f] = nv
        return e.replace(**changes) if changes else e

    def compare(self, e):
        a, b = e.a, e.b
        if not (is_int(a.dtype) and is_int(b.dtype)):
            return self.generic(e)
        d = self.diff(a, b)
        lo, hi = self.lin_bound(d)
        t = type(e)
        verdict = _decide(t, lo, hi)
        if verdict is not None:
            return const(verdict)
        rhs = -d.const
        d.const = 0
        dtype = "int64" if "int64" in (a.dtype, b.dtype) else a.dtype
        return t(self.build(d, dtype), const(rhs, dtype))

    def expr(self, e):
        if isinstance(e, Var):
            r = self.subst.get(e)
            if r is None:
                return e
            self.hit = True
            return r[0]
        if isinstance(e, IntImm):
            return e
        dt = e.dtype
        if isinstance(e, CmpOp):
            if isinstance(e, And):
                return logical_and(self.expr(e.a), self.expr(e.b))
            if isinstance(e, Or):
                return logical_or(self.expr(e.a), self.expr(e.b))
            return self.compare(e)
        if isinstance(e, Not):
            return logical_not(self.expr(e.a))
        if is_int(dt) and isinstance(e, (Add, Sub, Mul, FloorDiv, FloorMod)):
            return self.int_expr(e)
        return self.other(e)


def simplify(expr, ranges: dict | None = None, canonical=None):
    """`expr` in canonical form, with facts from `ranges` (Var -> Range) used to drop floor
    division/modulo and to decide comparisons. Non-integer expressions are simplified inside
    (their integer index subexpressions).

    `canonical` (a set of node ids, see `canonical_ids`) names subexpressions already
    simplified under these ranges; they are taken as they are, which keeps re-simplifying a
    substituted binding cheap."""
    if isinstance(expr, (Var, IntImm)) or not isinstance(expr, PrimExpr):
        return expr
    return _Simplifier(ranges, canonical).expr(expr)


def build_linear(lin: Linear, dtype: str) -> PrimExpr:
    """The expression `simplify` gives for an Add/Sub/Mul-by-constant expression of variables and
    constants whose linear view is `lin` (its canonical form: simplify opens such an expression
    into that view and builds it back)."""
    return _Simplifier(None).build(lin, dtype)


class Rebinder:
    """Substitute variables by expressions and simplify, in one pass per expression.

    The values are simplified once (under `ranges`, the ranges valid wherever the rebinder is
    used) and then taken as they are, so re-simplifying many bindings that mention the same
    substituted loop variables stays cheap."""

    __slots__ = ("subst", "ids", "canonical")

    def __init__(self, mapping: dict, ranges: dict | None = None):
        values = {v: simplify(e, ranges) for v, e in mapping.items()}
        self.subst = {v: (e, linear(e)) for v, e in values.items()}
        self.ids = {id(v) for v in values}
        self.canonical = None  # canonical_ids of the values, when a binding first needs them

    def __call__(self, expr, ranges: dict | None = None):
        """`expr` rewritten and simplified, or `expr` itself when no mapped variable occurs."""
        if isinstance(expr, Var):
            r = self.subst.get(expr)
            return expr if r is None else r[0]
        if isinstance(expr, IntImm) or self.ids.isdisjoint(used_vars(expr)):
            return expr
        if type(expr) in (Add, Sub, Mul) and is_int(expr.dtype):
            # fast path: an affine binding whose other atoms do not mention the variables
            lin = Linear()
            if self._affine(expr, 1, lin):
                return _Simplifier(ranges).build(lin, expr.dtype)
        if self.canonical is None:
            self.canonical = canonical_ids(e for e, _ in self.subst.values())
        s = _Simplifier(ranges, self.canonical, self.subst)
        out = s.expr(expr)
        return out if s.hit else expr


    def _affine(self, e, scale, out) -> bool:
        """Accumulate `scale * e` with the variables substituted, opening only Add/Sub/Mul by
        a constant; False when a remaining atom mentions a substituted variable."""
        t = type(e)
        if t is IntImm:
            out.const += scale * e.value
        elif t is Add:
            return self._affine(e.a, scale, out) and self._affine(e.b, scale, out)
        elif t is Sub:
            return self._affine(e.a, scale, out) and self._affine(e.b, -scale, out)
        elif t is Mul and type(e.b) is IntImm:
            return self._affine(e.a, scale * e.b.value, out)
        elif t is Mul and type(e.a) is IntImm:
            return self._affine(e.b, scale * e.a.value, out)
        elif t is Var:
            r = self.subst.get(e)
            if r is None:
                out.put(e, e, scale)
            else:
                out.add(r[1], scale)
        elif not self.ids.isdisjoint(used_vars(e)):
            return False
        else:
            out.put(structural_key(e), e, scale)
        return True


def canonical_ids(exprs) -> set:
    """ids of the non-leaf nodes of already simplified expressions (for simplify's
    `canonical`); the expressions must stay alive while the ids are used."""
    out: set = set()
    stack = list(exprs)
    while stack:
        e = stack.pop()
        if isinstance(e, (Var, IntImm)) or not isinstance(e, PrimExpr) or id(e) in out:
            continue
        out.add(id(e))
        for f in e._fields:
            v = getattr(e, f)
            if isinstance(v, PrimExpr):
                stack.append(v)
    return out


def can_prove(cond, ranges: dict | None = None) -> bool:
    """True when `cond` simplifies to the constant True under `ranges`."""
    r = simplify(cond, ranges)
    return isinstance(r, IntImm) and r.value != 0


def conjuncts(cond):
    """The operands of `cond`'s top-level chain of `And`s (`cond` itself if it is none)."""
    todo = [cond]
    while todo:
        c = todo.pop()
        if isinstance(c, And):
            todo += [c.a, c.b]
        else:
            yield c


def narrow_ranges(cond, ranges: dict) -> dict:
    """`ranges` (Var -> Range) tightened by the conjuncts of `cond` that compare an affine sum of
    bounded variables with constants (`i >= 2`, `2*i + 1 < n`, `256*ty + 8*tx + v < 4096`): each
    variable's bound is what the conjunct leaves it with the others at their extremes (interval
    propagation); other conjuncts are ignored, so the result holds wherever `cond` does. A
    contradiction gives an empty range (extent 0)."""
    out = dict(ranges)
    for c in conjuncts(cond):
        if not isinstance(c, (LT, LE, GT, GE, EQ)) or not (is_int(c.a.dtype) and is_int(c.b.dtype)):
            continue
        lin = linear(Sub(c.a, c.b))
        live = lin.live()
        if not live or any(not isinstance(v, Var) or v not in out for _, v, _ in live):
            continue
        given = {id(v): _var_bound(v, out, 0) for _, v, _ in live}
        bounds = dict(given)
        if any(lo is None or hi is None for lo, hi in given.values()):
            continue
        k = lin.const  # the conjunct is sum(a*v) + k (op) 0, written as sides s*sum(a*v) <= rhs
        strict = 1 if isinstance(c, (LT, GT)) else 0
        sides = ([(1, -k - strict)] if isinstance(c, (LT, LE, EQ)) else []) + (
            [(-1, k - strict)] if isinstance(c, (GT, GE, EQ)) else [])
        for sign, rhs in sides:
            terms = [(sign * a, v) for _, v, a in live]
            least = [a * (bounds[id(v)][0] if a > 0 else bounds[id(v)][1]) for a, v in terms]
            for n, (a, v) in enumerate(terms):
                room = rhs - (sum(least) - least[n])  # a*v <= room
                lo, hi = bounds[id(v)]
                if a > 0:
                    hi = min(hi, room // a)
                else:
                    lo = max(lo, -(-room // a))
                bounds[id(v)] = (lo, hi)
        for _, v, _ in live:
            lo, hi = bounds[id(v)]
            if (lo, hi) != given[id(v)]:
                out[v] = Range(const(lo), const(max(hi - lo + 1, 0)))
    return out
