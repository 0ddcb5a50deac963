"""A reference interpreter for PrimFuncs, the independent oracle of the schedule tests.

It turns a PrimFunc into Python source (loops, block bindings, predicates, reduction init at
the first reduction iteration) and runs it on numpy arrays. It is independent of the C code
generator, so a wrong transformation cannot hide behind a matching codegen bug. Intermediate
buffers start full of `fill` (NaN by default, a poison value for ints), so a schedule that
reads an element it never wrote shows up in the comparison.
"""

from __future__ import annotations

import math

import numpy as np

from .. import tir
from ..tir import expr as E
from ..tir import stmt as S

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
