"""The linear view of an index expression: `sum(coef * atom) + const`.

Add, Sub and Mul by a constant are opened; every other subexpression is an atom, kept whole and
keyed structurally (variables and buffers by identity), so `i*8 + j - i*8` is `1*j + 0`. The
simplifier, region analysis and the vectorizer all read index expressions through this view;
`affine_form` is the strict reading in which every atom must be a variable.
"""

from __future__ import annotations

from .buffer import Buffer
from .expr import Add, Cast, IntImm, Mul, Sub, Var
from .node import Node


def structural_key(e):
    """A hashable key: equal keys mean structurally identical expressions (variables and
    buffers by identity)."""
    if isinstance(e, (Var, Buffer)):
        return e
    if isinstance(e, IntImm):
        return (IntImm, e.value, e.dtype)
    if isinstance(e, Node):
        return (type(e),) + tuple(structural_key(getattr(e, f)) for f in e._fields)
    if isinstance(e, tuple):
        return tuple(structural_key(x) for x in e)
    return e


class Linear:
    """`sum(coef * atom) + const`; terms keyed structurally, kept in first-appearance order."""

    __slots__ = ("terms", "const")

    def __init__(self, terms=None, const_=0):
        self.terms = terms if terms is not None else {}  # key -> [atom, coef]
        self.const = const_

    def add(self, other, scale=1):
        terms = self.terms
        for k, (atom, c) in other.terms.items():
            cur = terms.get(k)
            if cur is None:
                terms[k] = [atom, c * scale]
            else:
                cur[1] += c * scale
        self.const += other.const * scale
        return self

    def put(self, key, atom, c) -> None:
        """Add `c * atom` (`key` its structural key)."""
        cur = self.terms.get(key)
        if cur is None:
            self.terms[key] = [atom, c]
        else:
            cur[1] += c

    def scaled(self, s):
        return Linear({k: [a, c * s] for k, (a, c) in self.terms.items()}, self.const * s)

    def live(self):
        return [(k, a, c) for k, (a, c) in self.terms.items() if c != 0]

    def is_const(self):
        if not self.terms:
            return True
        for _, c in self.terms.values():
            if c:
                return False
        return True


_INT_CAST = ("int32", "int64")


def accumulate(e, scale, out: Linear, open_casts: bool = False) -> None:
    """Add `scale * e` to `out`, opening what the linear view opens."""
    t = type(e)
    if t is IntImm:
        out.const += scale * e.value
    elif t is Var:
        out.put(e, e, scale)
    elif t is Add:
        accumulate(e.a, scale, out, open_casts)
        accumulate(e.b, scale, out, open_casts)
    elif t is Sub:
        accumulate(e.a, scale, out, open_casts)
        accumulate(e.b, -scale, out, open_casts)
    elif t is Mul and type(e.b) is IntImm:
        accumulate(e.a, scale * e.b.value, out, open_casts)
    elif t is Mul and type(e.a) is IntImm:
        accumulate(e.b, scale * e.a.value, out, open_casts)
    elif open_casts and t is Cast and e.dtype in _INT_CAST and e.value.dtype in _INT_CAST:
        accumulate(e.value, scale, out, open_casts)
    else:
        out.put(structural_key(e), e, scale)


def one_atom(e) -> Linear:
    """`e` as a single atom."""
    return Linear({structural_key(e): [e, 1]}, 0)


def linear(e, open_casts: bool = False) -> Linear:
    """The linear view of `e`, without simplifying. With `open_casts`, casts between int32 and
    int64 are looked through (right for offsets that cannot overflow, as in generated code)."""
    out = Linear()
    accumulate(e, 1, out, open_casts)
    return out


def affine_form(e):
    """`e` as ({Var: coef}, const), zero coefficients dropped, when every atom of its linear
    view is a variable; else None. Memoised per expression (a pass asks for the same index's
    form once per loop it weighs); each call gets its own dict."""
    hit = _FORMS.get(id(e))
    if hit is None or hit[0] is not e:
        hit = (e, _affine_form(e))
        if len(_FORMS) >= _FORMS_CAP:
            _FORMS.clear()
        _FORMS[id(e)] = hit
    form = hit[1]
    return None if form is None else (dict(form[0]), form[1])


_FORMS: dict = {}  # id(expr) -> (expr, its affine form or None)
_FORMS_CAP = 4096


def _affine_form(e):
    lin = linear(e)
    coefs = {}
    for _, atom, c in lin.live():
        if type(atom) is not Var:
            return None
        coefs[atom] = c
    return coefs, lin.const
