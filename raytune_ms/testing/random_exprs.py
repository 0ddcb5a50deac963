"""Random integer IR expressions (hypothesis) and a direct evaluator, the independent oracle
for the arith and analysis tests. hypothesis is a test dependency only: it is imported when a
strategy is built."""

from .. import tir
from ..tir import IntImm, Var

_OPS = {
    tir.Add: lambda x, y: x + y, tir.Sub: lambda x, y: x - y, tir.Mul: lambda x, y: x * y,
    tir.FloorDiv: lambda x, y: x // y, tir.FloorMod: lambda x, y: x % y,
    tir.Min: min, tir.Max: max,
    tir.LT: lambda x, y: int(x < y), tir.LE: lambda x, y: int(x <= y),
    tir.GT: lambda x, y: int(x > y), tir.GE: lambda x, y: int(x >= y),
    tir.EQ: lambda x, y: int(x == y), tir.NE: lambda x, y: int(x != y),
    tir.And: lambda x, y: int(x and y), tir.Or: lambda x, y: int(x or y),
}


def evaluate(e, env):
    """The value of an integer expression with its variables bound by `env`."""
    if isinstance(e, Var):
        return env[e]
    if isinstance(e, IntImm):
        return e.value
    return _OPS[type(e)](evaluate(e.a, env), evaluate(e.b, env))


def int_exprs(variables, consts=(-3, 12), max_divisor=8, max_leaves=7):
    """Expressions over `variables` built from + - * // % min max and constants."""
    from hypothesis import strategies as st

    leaf = st.one_of(st.sampled_from(list(variables)), st.integers(*consts).map(IntImm))

    def extend(inner):
        pos = st.integers(1, max_divisor).map(IntImm)
        return st.one_of(
            st.tuples(inner, inner).map(lambda t: t[0] + t[1]),
            st.tuples(inner, inner).map(lambda t: t[0] - t[1]),
            st.tuples(inner, st.integers(consts[0], max_divisor)).map(lambda t: t[0] * t[1]),
            st.tuples(inner, pos).map(lambda t: tir.FloorDiv(t[0], t[1])),
            st.tuples(inner, pos).map(lambda t: tir.FloorMod(t[0], t[1])),
            st.tuples(inner, inner).map(lambda t: tir.Min(t[0], t[1])),
            st.tuples(inner, inner).map(lambda t: tir.Max(t[0], t[1])),
        )

    return st.recursive(leaf, extend, max_leaves=max_leaves)
