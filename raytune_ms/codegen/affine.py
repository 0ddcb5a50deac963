"""Affine views of index expressions: `sum(coef * atom) + const`, for vectorization.

An atom is a Var or any non-affine subexpression (kept whole). The vectorizer asks how an
element offset moves with the lane variable (stride 0 broadcast, 1 contiguous, else scalar)
and whether the rest of the offset is a multiple of the vector width (aligned access to an
array of vectors).
"""

from __future__ import annotations

from ..tir import Add, Cast, IntImm, Mul, Sub, Var, const
from ..tir.analysis import used_vars


def affine_terms(e):
    """(list of [atom, coef], const) with atoms by identity; non-affine parts become atoms."""
    terms: list = []
    c = _walk(e, 1, terms)
    merged: dict = {}
    for atom, k in terms:
        cur = merged.get(id(atom))
        if cur is None:
            merged[id(atom)] = [atom, k]
        else:
            cur[1] += k
    return [t for t in merged.values() if t[1] != 0], c


def _walk(e, scale, terms) -> int:
    if isinstance(e, IntImm):
        return e.value * scale
    if isinstance(e, Add):
        return _walk(e.a, scale, terms) + _walk(e.b, scale, terms)
    if isinstance(e, Sub):
        return _walk(e.a, scale, terms) + _walk(e.b, -scale, terms)
    if isinstance(e, Mul):
        if isinstance(e.b, IntImm):
            return _walk(e.a, scale * e.b.value, terms)
        if isinstance(e.a, IntImm):
            return _walk(e.b, scale * e.a.value, terms)
    if isinstance(e, Cast) and e.dtype in ("int32", "int64") and e.value.dtype in ("int32", "int64"):
        return _walk(e.value, scale, terms)
    terms.append((e, scale))
    return 0


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
