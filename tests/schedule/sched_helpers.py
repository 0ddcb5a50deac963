"""Shared helpers for schedule tests: small programs, a reference interpreter, result checks, and
checks that a failed primitive left the schedule unchanged.

The interpreter turns a PrimFunc into Python source (loops, block bindings, predicates,
reduction init at the first reduction iteration) and runs it on numpy arrays. It is independent
of the C code generator, so a wrong transformation cannot hide behind a matching codegen bug.
Intermediate buffers start full of `fill` (NaN by default, a poison value for ints), so a
schedule that reads an element it never wrote shows up in the comparison.
"""

from __future__ import annotations

import math

import numpy as np

from raytune_ms import te, tir
from raytune_ms.tir import expr as E
from raytune_ms.tir import stmt as S

# ------------------------------------------------------------------ programs


def matmul(n=16, m=12, k=8, epilogue="add"):
    """C = A @ B, then an elementwise "D" stage: "add" (C + 1), "relu" (max(C, 0)) or None."""
    A = te.placeholder((n, k), name="A")
    B = te.placeholder((k, m), name="B")
    r = te.reduce_axis((0, k), name="k")
    C = te.compute((n, m), lambda i, j: te.sum(A[i, r] * B[r, j], axis=r), name="C")
    if epilogue is None:
        return te.create_prim_func([A, B, C])
    stage = {"add": lambda i, j: C[i, j] + 1.0, "relu": lambda i, j: te.max(C[i, j], 0.0)}
    D = te.compute((n, m), stage[epilogue], name="D")
    return te.create_prim_func([A, B, D])


def bare_matmul(n=16, m=12, k=8, relu=False):
    """The matmul alone, or with a ReLU epilogue (the block-primitive tests' default)."""
    return matmul(n, m, k, epilogue="relu" if relu else None)


def elementwise_chain(n=16, m=8, stages=3):
    """B = A * 2; C = B + 1; D = C * C (the first `stages` of these injective stages)."""
    A = te.placeholder((n, m), name="A")
    steps = [("B", lambda x: x * 2.0), ("C", lambda x: x + 1.0), ("D", lambda x: x * x)]
    t = A
    for name, fn in steps[:stages]:
        t = _elementwise(t, fn, name)
    return te.create_prim_func([A, t])


def _elementwise(t, fn, name):
    return te.compute(t.shape, lambda i, j: fn(t[i, j]), name=name)


def chain(n=24):
    return elementwise_chain(n, n, stages=2)


def stencil(n=20):
    """B = A + 1 (producer); C[i] = B[i] + B[i + 1] + B[i + 2] (a sliding window)."""
    A = te.placeholder((n + 2,), name="A")
    B = te.compute((n + 2,), lambda i: A[i] + 1.0, name="B")
    C = te.compute((n,), lambda i: B[i] + B[i + 1] + B[i + 2], name="C")
    return te.create_prim_func([A, C])


def row_sum(n=8, m=32, op="sum"):
    A = te.placeholder((n, m), name="A")
    r = te.reduce_axis((0, m), name="k")
    reducer = {"sum": te.sum, "max": te.max, "min": te.min}[op]
    B = te.compute((n,), lambda i: reducer(A[i, r], axis=r), name="B")
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


def loops_of(func, block_name):
    from raytune_ms.schedule.tree import block_path, loops_above

    return [f.loop_var for f in loops_above(block_path(func, block_name))]


def block_names(func):
    return [b.name for b in tir.collect(func.body, tir.Block) if b.name != "root"]


# ------------------------------------------------------------------ interpreter

_BIN = {E.Add: "+", E.Sub: "-", E.Mul: "*", E.Div: "/", E.FloorDiv: "//", E.FloorMod: "%",
        E.LT: "<", E.LE: "<=", E.GT: ">", E.GE: ">=", E.EQ: "==", E.NE: "!=",
        E.And: "and", E.Or: "or"}
_CALLS = {"exp": "math.exp", "log": "math.log", "sqrt": "math.sqrt", "tanh": "math.tanh",
          "erf": "math.erf", "fabs": "abs", "floor": "math.floor", "ceil": "math.ceil",
          "round": "round", "pow": "math.pow", "sin": "math.sin", "cos": "math.cos",
          "exp2": "(lambda x: 2.0 ** x)", "log2": "math.log2", "fmin": "min", "fmax": "max",
          "rsqrt": "(lambda x: 1.0 / math.sqrt(x))",
          "sigmoid": "(lambda x: 1.0 / (1.0 + math.exp(-x)))"}


class _PyGen:
    def __init__(self):
        self.names = {}
        self.lines = []

    def name(self, node, hint):
        key = id(node)
        if key not in self.names:
            safe = "".join(ch if ch.isalnum() else "_" for ch in hint)
            self.names[key] = (f"{safe}_{len(self.names)}", node)  # keeps node alive: ids unique
        return self.names[key][0]

    def e(self, x) -> str:
        if isinstance(x, E.Var):
            return self.name(x, x.name)
        if isinstance(x, E.IntImm):
            return str(bool(x.value)) if x.dtype == "bool" else str(x.value)
        if isinstance(x, E.FloatImm):
            return f"float({str(x.value)!r})"
        if isinstance(x, (E.Min, E.Max)):
            return f"{'min' if isinstance(x, E.Min) else 'max'}({self.e(x.a)}, {self.e(x.b)})"
        if isinstance(x, E.BinaryOp):
            return f"({self.e(x.a)} {_BIN[type(x)]} {self.e(x.b)})"
        if isinstance(x, E.Not):
            return f"(not {self.e(x.a)})"
        if isinstance(x, E.Select):
            return f"({self.e(x.true_value)} if {self.e(x.condition)} else {self.e(x.false_value)})"
        if isinstance(x, E.Cast):
            fn = "float" if x.dtype.startswith("float") else "bool" if x.dtype == "bool" else "int"
            return f"{fn}({self.e(x.value)})"
        if isinstance(x, E.Call):
            return f"{_CALLS[x.op]}({', '.join(self.e(a) for a in x.args)})"
        if isinstance(x, E.BufferLoad):
            return f"{self.name(x.buffer, x.buffer.name)}[{self.idx(x.indices)}]"
        raise TypeError(type(x))

    def idx(self, indices) -> str:
        return ", ".join(self.e(i) for i in indices) + ","

    def emit(self, line, ind):
        self.lines.append("    " * ind + line)

    def s(self, x, ind):
        if isinstance(x, S.SeqStmt):
            for y in x.seq:
                self.s(y, ind)
        elif isinstance(x, S.For):
            v = self.e(x.loop_var)
            lo, ext = self.e(x.min), self.e(x.extent)
            self.emit(f"for {v} in range({lo}, {lo} + {ext}):", ind)
            self.s(x.body, ind + 1)
        elif isinstance(x, S.BlockRealize):
            b = x.block
            self.emit(f"if {self.e(x.predicate)}:", ind)
            for iv, val in zip(b.iter_vars, x.iter_values):
                self.emit(f"{self.e(iv.var)} = {self.e(val)}", ind + 1)
            for buf in b.alloc_buffers:
                alloc = f"_alloc({buf.shape!r}, {buf.dtype!r})"
                self.emit(f"{self.name(buf, buf.name)} = {alloc}", ind + 1)
            if b.init is not None:
                first = [f"{self.e(iv.var)} == {self.e(iv.dom.min)}" for iv in b.iter_vars
                         if iv.kind == "reduce"]
                self.emit(f"if {' and '.join(first) or 'True'}:", ind + 1)
                self.s(b.init, ind + 2)
            self.s(b.body, ind + 1)
            self.emit("pass", ind + 1)
        elif isinstance(x, S.Block):
            self.s(S.BlockRealize([iv.var for iv in x.iter_vars], None, x), ind)
        elif isinstance(x, S.BufferStore):
            target = f"{self.name(x.buffer, x.buffer.name)}[{self.idx(x.indices)}]"
            self.emit(f"{target} = {self.e(x.value)}", ind)
        elif isinstance(x, S.IfThenElse):
            self.emit(f"if {self.e(x.condition)}:", ind)
            self.s(x.then_case, ind + 1)
            if x.else_case is not None:
                self.emit("else:", ind)
                self.s(x.else_case, ind + 1)
        elif isinstance(x, S.Evaluate):
            self.emit("pass", ind)
        else:
            raise TypeError(type(x))


def interpret(func: tir.PrimFunc, arrays, fill=math.nan):
    """Run `func` on copies of `arrays` (float math in float64); returns the arrays after the
    run. Float intermediates start as `fill`; int ones as `fill` when finite, else -12345."""
    int_fill = int(fill) if math.isfinite(fill) else -12345

    def alloc(shape, dtype):
        if dtype.startswith("float"):
            return np.full(shape, fill, dtype="float64")
        return np.full(shape, int_fill if dtype != "bool" else 0, dtype=dtype)

    g = _PyGen()
    params = [g.name(p, p.name) for p in func.params]
    g.s(func.body, 1)
    src = f"def _f({', '.join(params)}):\n" + "\n".join(g.lines) + "\n    pass\n"
    env = {"math": math, "_alloc": alloc}
    exec(compile(src, "<interpret>", "exec"), env)
    out = [np.array(a, dtype="float64" if a.dtype.kind == "f" else a.dtype) for a in arrays]
    env["_f"](*out)
    return out


def assert_same_result(original, transformed, n_outputs=1, seed=0, rtol=1e-4, atol=1e-4):
    """Both functions give the same outputs (the last `n_outputs` params) on random inputs."""
    arrays = random_inputs(original, seed)
    a = interpret(original, arrays)
    b = interpret(transformed, arrays)
    for x, y in zip(a[-n_outputs:], b[-n_outputs:]):
        assert not np.isnan(y).any(), "transformed function left NaNs (read of unwritten data)"
        np.testing.assert_allclose(y, x, rtol=rtol, atol=atol)


def assert_same_semantics(f1, f2, seed=0):
    """Every param array ends up equal (to float64 rounding) after running either function."""
    assert_same_result(f1, f2, n_outputs=len(f1.params), seed=seed, rtol=1e-9, atol=1e-9)


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
