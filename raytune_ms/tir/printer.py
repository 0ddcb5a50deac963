"""A readable Python-like script of any IR node (what `repr` and `Schedule.show` print)."""

from __future__ import annotations

from . import expr as E
from . import stmt as S
from .buffer import Buffer
from .function import IRModule, PrimFunc
from .node import Node


def _e(e) -> str:
    if isinstance(e, E.Var):
        return e.name
    if isinstance(e, E.IntImm):
        if e.dtype == "bool":
            return "True" if e.value else "False"
        return str(e.value) if e.dtype == "int32" else f"{e.dtype}({e.value})"
    if isinstance(e, E.FloatImm):
        return repr(e.value) if e.dtype == "float32" else f"{e.dtype}({e.value!r})"
    if isinstance(e, E.StringImm):
        return repr(e.value)
    if isinstance(e, (E.Min, E.Max)):
        return f"{e.symbol}({_e(e.a)}, {_e(e.b)})"
    if isinstance(e, E.BinaryOp):
        return f"({_e(e.a)} {e.symbol} {_e(e.b)})"
    if isinstance(e, E.Not):
        return f"not {_e(e.a)}"
    if isinstance(e, E.Select):
        return f"select({_e(e.condition)}, {_e(e.true_value)}, {_e(e.false_value)})"
    if isinstance(e, E.Cast):
        return f"{e.dtype}({_e(e.value)})"
    if isinstance(e, E.Call):
        return f"{e.op}({', '.join(_e(a) for a in e.args)})"
    if isinstance(e, E.BufferLoad):
        return f"{e.buffer.name}[{', '.join(_e(i) for i in e.indices)}]"
    if isinstance(e, E.Range):
        return f"{_e(e.min)}:{_e(E.add(e.min, e.extent))}"
    return repr(e)


def _region(r: S.BufferRegion) -> str:
    return f"{r.buffer.name}[{', '.join(_e(x) for x in r.region)}]"


def _buf(b: Buffer) -> str:
    extra = f", scope={b.scope!r}" if b.scope != "global" else ""
    if b.strides:
        extra += f", strides={b.strides}"
    return f"{b.name} = Buffer({b.shape}, {b.dtype!r}{extra})"


def _stmt(s, ind: int, out: list) -> None:
    pad = "    " * ind
    if isinstance(s, S.SeqStmt):
        for x in s.seq:
            _stmt(x, ind, out)
    elif isinstance(s, S.For):
        kind = s.kind if s.kind != "thread_binding" else f"thread_binding({s.thread_tag!r})"
        ann = f", annotations={dict(s.annotations)}" if s.annotations else ""
        if isinstance(s.min, E.IntImm) and s.min.value == 0:
            rng = _e(s.extent)
        else:
            rng = f"{_e(s.min)}, {_e(E.add(s.min, s.extent))}"
        out.append(f"{pad}for {s.loop_var.name} in {kind}({rng}{ann}):")
        _stmt(s.body, ind + 1, out)
    elif isinstance(s, S.BlockRealize):
        b = s.block
        out.append(f"{pad}with block({b.name!r}):")
        inner = "    " * (ind + 1)
        for iv, v in zip(b.iter_vars, s.iter_values):
            out.append(f"{inner}{iv.var.name} = axis.{iv.kind}({_e(iv.dom.extent)}, {_e(v)})")
        if not (isinstance(s.predicate, E.IntImm) and s.predicate.value):
            out.append(f"{inner}where({_e(s.predicate)})")
        if b.reads or b.writes:
            out.append(f"{inner}reads({', '.join(_region(r) for r in b.reads)})")
            out.append(f"{inner}writes({', '.join(_region(r) for r in b.writes)})")
        if b.annotations:
            out.append(f"{inner}annotations({dict(b.annotations)})")
        for ab in b.alloc_buffers:
            out.append(f"{inner}{_buf(ab)}")
        if b.init is not None:
            out.append(f"{inner}with init():")
            _stmt(b.init, ind + 2, out)
        _stmt(b.body, ind + 1, out)
    elif isinstance(s, S.Block):
        _stmt(S.BlockRealize([iv.var for iv in s.iter_vars], None, s), ind, out)
    elif isinstance(s, S.BufferStore):
        out.append(f"{pad}{s.buffer.name}[{', '.join(_e(i) for i in s.indices)}] = {_e(s.value)}")
    elif isinstance(s, S.IfThenElse):
        out.append(f"{pad}if {_e(s.condition)}:")
        _stmt(s.then_case, ind + 1, out)
        if s.else_case is not None:
            out.append(f"{pad}else:")
            _stmt(s.else_case, ind + 1, out)
    elif isinstance(s, S.Evaluate):
        out.append(f"{pad}evaluate({_e(s.value)})")
    else:  # a statement of a later stage (lowering's Allocate): its repr, then its body
        out.append(f"{pad}{s!r}")
        if isinstance(getattr(s, "body", None), S.Stmt):
            _stmt(s.body, ind + 1, out)


def script(node) -> str:
    """Python-like text of a module, function, statement or expression."""
    if isinstance(node, IRModule):
        return "\n\n".join(f"# function {k}\n{script(v)}" for k, v in node.functions)
    if isinstance(node, PrimFunc):
        params = ", ".join(_buf(p) for p in node.params)
        out = [f"def {node.name}({params}):"]
        if node.attrs:
            out.append(f"    # attrs: {dict(node.attrs)}")
        _stmt(node.body, 1, out)
        return "\n".join(out)
    if isinstance(node, Buffer):
        return _buf(node)
    if isinstance(node, S.Stmt):
        out: list = []
        _stmt(node, 0, out)
        return "\n".join(out)
    if isinstance(node, S.BufferRegion):
        return _region(node)
    if isinstance(node, E.IterVar):
        return f"IterVar({node.var.name}, {_e(node.dom)}, {node.kind!r})"
    return _e(node)


Node._script = staticmethod(script)
