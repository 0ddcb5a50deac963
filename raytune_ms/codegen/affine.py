"""Affine views of index expressions (tir.affine's linear view), for vectorization.

The vectorizer asks how an element offset moves with the lane variable (stride 0 broadcast,
1 contiguous, else scalar) and whether the rest of the offset is a multiple of the vector
width (aligned access to an array of vectors).
"""

from __future__ import annotations

from ..tir import GE, GT, LE, LT, Var, const
from ..tir.affine import linear
from ..tir.arith import conjuncts
from ..tir.functor import substitute, used_vars


def affine_terms(e):
    """(list of (atom, coef), const): the linear view with int32/int64 casts looked through."""
    lin = linear(e, open_casts=True)
    return [(a, c) for _, a, c in lin.live()], lin.const


def build(terms, c, dtype="int64"):
    """The expression `sum(coef * atom) + c`."""
    out = None
    for atom, k in terms:
        t = atom * k
        out = t if out is None else out + t
    if out is None:
        return const(c, dtype)
    return out + c if c else out


def split_lane(e, lane: Var):
    """(coef, rest) with e == coef * lane + rest and rest free of `lane`; None when `lane`
    occurs inside a non-affine part."""
    terms, c = affine_terms(e)
    coef, rest = 0, []
    for atom, k in terms:
        if atom is lane:
            coef += k
        elif id(lane) in used_vars(atom):
            return None
        else:
            rest.append((atom, k))
    return coef, (rest, c)


def is_multiple(rest, w: int) -> bool:
    terms, c = rest
    return c % w == 0 and all(k % w == 0 for _, k in terms)


def divided(rest, w: int):
    """rest / w, for a rest that is a multiple of w."""
    terms, c = rest
    return build([(a, k // w) for a, k in terms], c // w)


def uniform_over_lanes(cond, lane: Var, lanes: int):
    """`cond` at lane 0 when it has one value for all `lanes` lanes (whatever its other
    variables), else None. A conjunct free of the lane is; so is an affine comparison
    `c*lane + rest < 0` (after moving its sides: `a <= b` is `a - b - 1 < 0`) with c > 0 and
    rest a multiple of c*lanes: its sign changes only between vectors (a padded fetch's
    `8*q + lane < 40` over 8 lanes)."""
    for c in conjuncts(cond):
        if id(lane) not in used_vars(c):
            continue
        if not isinstance(c, (LT, LE, GT, GE)):
            return None
        low, high = (c.a, c.b) if isinstance(c, (LT, LE)) else (c.b, c.a)  # low < high, or <=
        parts = split_lane(low - high - (1 if isinstance(c, (LE, GE)) else 0), lane)
        if parts is None or parts[0] <= 0 or not is_multiple(parts[1], parts[0] * lanes):
            return None
    return substitute(cond, {lane: const(0, lane.dtype)})
