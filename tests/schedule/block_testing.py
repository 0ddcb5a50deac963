"""Test support for the block primitives: small te programs, a reference executor that turns a
PrimFunc into Python (loops, blocks with init-on-first-reduction-iteration, predicates), and a
checker that a transformed function computes what the original does.

Intermediate buffers are allocated full of NaN (floats) or a poison value (ints), so a
schedule that reads an element it never wrote shows up in the comparison.
"""

from __future__ import annotations

import math

import numpy as np

from raytune_ms import te, tir
from raytune_ms.tir import expr as E
from raytune_ms.tir import stmt as S

_BIN = {E.Add: "+", E.Sub: "-", E.Mul: "*", E.Div: "/", E.FloorDiv: "//", E.FloorMod: "%",
        E.LT: "<", E.LE: "<=", E.GT: ">", E.GE: ">=", E.EQ: "==", E.NE: "!=",
        E.And: "and", E.Or: "or"}
_CALLS = {"exp": "math.exp", "log": "math.log", "sqrt": "math.sqrt", "tanh": "math.tanh",
          "erf": "math.erf", "fabs": "abs", "floor": "math.floor", "ceil": "math.ceil",
          "sin": "math.sin", "cos": "math.cos", "pow": "math.pow", "fmin": "min", "fmax": "max",
          "exp2": "(lambda x: 2.0 ** x)", "log2": "math.log2", "round": "round",
          "sigmoid": "(lambda x: 1 / (1 + math.exp(-x)))", "rsqrt": "(lambda x: 1 / math.sqrt(x))"}


class _PyGen:
    def __init__(self):
        self.names = {}
        self.lines = []

    def name(self, node, hint):
        key = id(node)
        if key not in self.names:
            safe = "".join(ch if ch.isalnum() else "_" for ch in hint)
            self.names[key] = f"{safe}_{len(self.names)}"
        return self.names[key]

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
        return ", ".join(self.e(i) for i in indices) + ("," if len(indices) == 1 else "")

    def emit(self, line, ind):
        self.lines.append("    " * ind + line)

    def s(self, x, ind):
        if isinstance(x, S.SeqStmt):
            for y in x.seq:
                self.s(y, ind)
        elif isinstance(x, S.For):
            v = self.e(x.loop_var)
            self.emit(f"for {v} in range({self.e(x.min)}, {self.e(x.min)} + {self.e(x.extent)}):", ind)
            self.s(x.body, ind + 1)
        elif isinstance(x, S.BlockRealize):
            b = x.block
            for iv, val in zip(b.iter_vars, x.iter_values):
                self.emit(f"{self.e(iv.var)} = {self.e(val)}", ind)
            self.emit(f"if {self.e(x.predicate)}:", ind)
            for buf in b.alloc_buffers:
                self.emit(f"{self.name(buf, buf.name)} = _alloc({buf.shape!r}, {buf.dtype!r})", ind + 1)
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
            self.emit(f"{self.name(x.buffer, x.buffer.name)}[{self.idx(x.indices)}] = {self.e(x.value)}", ind)
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


def _alloc(shape, dtype):
    if dtype.startswith("float"):
        return np.full(shape, np.nan, dtype=dtype)
    return np.full(shape, -12345 if dtype != "bool" else 0, dtype=dtype)


def run_py(func: tir.PrimFunc, arrays):
    """Execute `func` on numpy `arrays` (one per param, outputs overwritten in place)."""
    g = _PyGen()
    params = [g.name(p, p.name) for p in func.params]
    g.s(func.body, 1)
    src = f"def _f({', '.join(params)}):\n" + "\n".join(g.lines) + "\n"
    env = {"math": math, "_alloc": _alloc}
    exec(compile(src, "<py-exec>", "exec"), env)
    env["_f"](*arrays)
    return arrays


def random_inputs(func, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for p in func.params:
        if p.dtype.startswith("float"):
            out.append(rng.uniform(-1, 1, p.shape).astype(p.dtype))
        else:
            out.append(rng.integers(-4, 5, p.shape).astype(p.dtype))
    return out


def assert_same_result(original, transformed, n_outputs=1, seed=0, rtol=1e-4, atol=1e-4):
    """Both functions give the same outputs (the last `n_outputs` params) on random inputs."""
    a = run_py(original, random_inputs(original, seed))
    b = run_py(transformed, random_inputs(original, seed))
    for x, y in zip(a[-n_outputs:], b[-n_outputs:]):
        assert not np.isnan(y).any(), "transformed function left NaNs (read of unwritten data)"
        np.testing.assert_allclose(y, x, rtol=rtol, atol=atol)


# ---------------------------------------------------------------------------- programs


def matmul(n=16, m=12, k=8, relu=False):
    A = te.placeholder((n, k), name="A")
    B = te.placeholder((k, m), name="B")
    r = te.reduce_axis((0, k), name="k")
    C = te.compute((n, m), lambda i, j: te.sum(A[i, r] * B[r, j], axis=r), name="C")
    if not relu:
        return te.create_prim_func([A, B, C])
    D = te.compute((n, m), lambda i, j: te.max(C[i, j], 0.0), name="D")
    return te.create_prim_func([A, B, D])


def elementwise_chain(n=16, m=8):
    """B = A * 2; C = B + 1; D = exp-free chain of three injective stages."""
    A = te.placeholder((n, m), name="A")
    B = te.compute((n, m), lambda i, j: A[i, j] * 2.0, name="B")
    C = te.compute((n, m), lambda i, j: B[i, j] + 1.0, name="C")
    D = te.compute((n, m), lambda i, j: C[i, j] * C[i, j], name="D")
    return te.create_prim_func([A, D])


def stencil(n=20):
    """B = A + 1 (producer); C[i] = B[i] + B[i + 1] + B[i + 2] (a sliding window)."""
    A = te.placeholder((n + 2,), name="A")
    B = te.compute((n + 2,), lambda i: A[i] + 1.0, name="B")
    C = te.compute((n,), lambda i: B[i] + B[i + 1] + B[i + 2], name="C")
    return te.create_prim_func([A, C])


def row_sum(n=8, m=16, op="sum"):
    A = te.placeholder((n, m), name="A")
    r = te.reduce_axis((0, m), name="k")
    reducer = {"sum": te.sum, "max": te.max, "min": te.min}[op]
    B = te.compute((n,), lambda i: reducer(A[i, r], axis=r), name="B")
    return te.create_prim_func([A, B])


def loops_of(func, block_name):
    from raytune_ms.schedule.tree import block_path, loops_above

    return [f.loop_var for f in loops_above(block_path(func, block_name))]


def block_names(func):
    return [b.name for b in tir.collect(func.body, tir.Block) if b.name != "root"]
