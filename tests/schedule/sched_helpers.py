"""Shared helpers for schedule tests: small programs, a reference interpreter, and checks that a
failed primitive left the schedule unchanged.

The interpreter turns a PrimFunc into Python source (loops, block bindings, predicates,
reduction init at the first reduction iteration) and runs it on numpy arrays. It is independent
of the C code generator, so a wrong transformation cannot hide behind a matching codegen bug.
"""

from __future__ import annotations

import math

import numpy as np

from raytune_ms import te, tir

# ------------------------------------------------------------------ programs


def matmul(n=16, m=12, k=8, with_epilogue=True):
    A = te.placeholder((n, k), name="A")
    B = te.placeholder((k, m), name="B")
    r = te.reduce_axis(k, "k")
    C = te.compute((n, m), lambda i, j: te.sum(A[i, r] * B[r, j], axis=[r]), name="C")
    if not with_epilogue:
        return te.create_prim_func([A, B, C])
    D = te.compute((n, m), lambda i, j: C[i, j] + 1.0, name="D")
    return te.create_prim_func([A, B, D])


def chain(n=24):
    A = te.placeholder((n, n), name="A")
    B = te.compute((n, n), lambda i, j: A[i, j] * 2.0, name="B")
    C = te.compute((n, n), lambda i, j: B[i, j] + 1.0, name="C")
    return te.create_prim_func([A, C])


def rowsum(n=8, m=32):
    A = te.placeholder((n, m), name="A")
    r = te.reduce_axis(m, "k")
    B = te.compute((n,), lambda i: te.sum(A[i, r], axis=[r]), name="B")
    return te.create_prim_func([A, B])


def random_inputs(func, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for p in func.params:
        if p.dtype.startswith("float"):
            out.append(rng.uniform(-1, 1, p.shape).astype(p.dtype))
        else:
            out.append(rng.integers(-4, 5, p.shape).astype(p.dtype))
    return out


# ------------------------------------------------------------------ interpreter

_CALLS = {"exp": "math.exp", "log": "math.log", "sqrt": "math.sqrt", "tanh": "math.tanh",
          "erf": "math.erf", "fabs": "abs", "floor": "math.floor", "ceil": "math.ceil",
          "round": "round", "pow": "math.pow", "sin": "math.sin", "cos": "math.cos",
          "exp2": "(lambda x: 2.0 ** x)", "log2": "math.log2", "fmin": "min", "fmax": "max",
          "rsqrt": "(lambda x: 1.0 / math.sqrt(x))",
          "sigmoid": "(lambda x: 1.0 / (1.0 + math.exp(-x)))"}


class _Gen:
    def __init__(self):
        self.names = {}
        self.lines = []

    def name(self, obj, prefix):
        if id(obj) not in self.names:
            self.names[id(obj)] = (f"{prefix}{len(self.names)}", obj)
        return self.names[id(obj)][0]

    def e(self, x):
        E = tir
        if isinstance(x, E.Var):
            return self.name(x, "v")
        if isinstance(x, E.IntImm):
            return str(x.value)
        if isinstance(x, E.FloatImm):
            return f"float({repr(x.value)!r})"
        if isinstance(x, E.BufferLoad):
            return f"{self.name(x.buffer, 'buf')}[{', '.join(self.e(i) for i in x.indices)},]"
        if isinstance(x, E.Select):
            return f"({self.e(x.true_value)} if {self.e(x.condition)} else {self.e(x.false_value)})"
        if isinstance(x, E.Cast):
            conv = {"bool": "bool"}.get(x.dtype, "float" if x.dtype.startswith("float") else "int")
            return f"{conv}({self.e(x.value)})"
        if isinstance(x, E.Call):
            return f"{_CALLS[x.op]}({', '.join(self.e(a) for a in x.args)})"
        if isinstance(x, E.Not):
            return f"(not {self.e(x.a)})"
        if isinstance(x, (E.Min, E.Max)):
            return f"{type(x).__name__.lower()}({self.e(x.a)}, {self.e(x.b)})"
        ops = {E.Add: "+", E.Sub: "-", E.Mul: "*", E.Div: "/", E.FloorDiv: "//", E.FloorMod: "%",
               E.LT: "<", E.LE: "<=", E.GT: ">", E.GE: ">=", E.EQ: "==", E.NE: "!=",
               E.And: "and", E.Or: "or"}
        return f"({self.e(x.a)} {ops[type(x)]} {self.e(x.b)})"

    def s(self, st, ind):
        pad = "    " * ind
        S = tir
        if isinstance(st, S.SeqStmt):
            for x in st.seq:
                self.s(x, ind)
        elif isinstance(st, S.For):
            v = self.name(st.loop_var, "v")
            lo, ext = self.e(st.min), self.e(st.extent)
            self.lines.append(f"{pad}for {v} in range({lo}, {lo} + {ext}):")
            self.s(st.body, ind + 1)
        elif isinstance(st, S.BlockRealize):
            b = st.block
            self.lines.append(f"{pad}if {self.e(st.predicate)}:")
            pad2 = pad + "    "
            for iv, val in zip(b.iter_vars, st.iter_values):
                self.lines.append(f"{pad2}{self.name(iv.var, 'v')} = {self.e(val)}")
            for ab in b.alloc_buffers:
                self.lines.append(f"{pad2}{self.name(ab, 'buf')} = np.full({ab.shape}, np.nan)")
            if b.init is not None:
                red = [iv for iv in b.iter_vars if iv.kind == "reduce"]
                cond = " and ".join(
                    f"{self.name(iv.var, 'v')} == {self.e(iv.dom.min)}" for iv in red) or "True"
                self.lines.append(f"{pad2}if {cond}:")
                self.s(b.init, ind + 2)
            self.s(b.body, ind + 1)
        elif isinstance(st, S.BufferStore):
            idx = ", ".join(self.e(i) for i in st.indices)
            self.lines.append(f"{pad}{self.name(st.buffer, 'buf')}[{idx},] = {self.e(st.value)}")
        elif isinstance(st, S.IfThenElse):
            self.lines.append(f"{pad}if {self.e(st.condition)}:")
            self.s(st.then_case, ind + 1)
            if st.else_case is not None:
                self.lines.append(f"{pad}else:")
                self.s(st.else_case, ind + 1)
        elif isinstance(st, S.Evaluate):
            self.lines.append(f"{pad}pass")
        else:
            raise TypeError(type(st))


def interpret(func, arrays):
    """Run `func` on copies of `arrays` (float64 math); returns the arrays after the run."""
    g = _Gen()
    params = [g.name(p, "buf") for p in func.params]
    g.lines.append(f"def kernel({', '.join(params)}):")
    g.s(func.body, 1)
    g.lines.append("    pass")
    ns = {"math": math, "np": np}
    exec("\n".join(g.lines), ns)
    out = [np.array(a, dtype="float64" if a.dtype.kind == "f" else a.dtype) for a in arrays]
    ns["kernel"](*out)
    return out


def assert_same_semantics(f1, f2, seed=0):
    arrays = random_inputs(f1, seed)
    a = interpret(f1, arrays)
    b = interpret(f2, arrays)
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-9)


# ------------------------------------------------------------------ unchanged-on-error


def snapshot(sch):
    return tir.structural_hash(sch.mod), len(sch.trace), tir.script(sch.mod)


def assert_error_leaves_unchanged(sch, fn, *words):
    """`fn()` raises ScheduleError mentioning every word; the schedule did not change."""
    from raytune_ms.schedule import ScheduleError

    before = snapshot(sch)
    try:
        fn()
    except ScheduleError as e:
        msg = str(e)
        for w in words:
            assert w in msg, f"{w!r} not in error message {msg!r}"
    else:
        raise AssertionError("expected a ScheduleError")
    assert snapshot(sch) == before


# ------------------------------------------------------------------ a typical tuned schedule


def tile_matmul(sch, cache=False):
    """The CPU multi-level tiling of the "C" block (SSRSRS) with the "D" epilogue fused in;
    `cache` adds a write cache placed by reverse_compute_at."""
    c = sch.get_block("C")
    d = sch.get_block("D")
    sch.annotate(c, "meta_schedule.tiling_structure", "SSRSRS")
    i, j, k = sch.get_loops(c)
    i0, i1, i2, i3 = sch.split(i, sch.sample_perfect_tile(i, 4, 16))
    j0, j1, j2, j3 = sch.split(j, sch.sample_perfect_tile(j, 4, 16))
    k0, k1 = sch.split(k, sch.sample_perfect_tile(k, 2, 16))
    sch.reorder(i0, j0, i1, j1, k0, i2, j2, k1, i3, j3)
    if cache:
        cw = sch.cache_write(c, 0, "global")
        sch.reverse_compute_at(cw, j1)
    sch.reverse_compute_at(d, j0)
    f = sch.fuse(i0, j0)
    sch.parallel(f)
    sch.vectorize(j3)
    v = sch.sample_categorical([0, 16, 64, 512], [0.25, 0.25, 0.25, 0.25])
    sch.annotate(c, "meta_schedule.unroll_explicit", v)
    return sch
