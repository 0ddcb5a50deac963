"""Lower a captured graph node by node: each aten call becomes one PrimFunc built from the
operator library (no fusion yet), reading and writing named values of the graph.

Errors name the aten op, the graph node and the model's source line; shapes must be static.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from .. import te, tir
from ..te.tensor import PlaceholderOp
from .capture import capture
from .converters import CONVERTERS, IGNORED, ConversionError

_DTYPES = {"float32", "float64", "float16", "int64", "int32", "int8", "uint8", "bool"}


class LoweringError(ValueError):
    """A node the front end cannot lower: a bad argument, a dynamic shape, a converter bug."""


class UnsupportedOperatorError(LoweringError, NotImplementedError):
    """An aten op with no converter."""


@dataclass
class LoweredFunction:
    """One graph node as a kernel: func's parameters are the values `inputs`, then `outputs`."""

    name: str
    op: str
    func: tir.PrimFunc
    inputs: list
    outputs: list
    source: str = ""


@dataclass
class LoweredModule:
    """A model as kernels in graph order, with the values they exchange: user inputs (call order),
    constants (name -> array), graph outputs, and every value's (shape, dtype)."""

    functions: list
    inputs: list
    constants: dict
    outputs: list
    values: dict = field(default_factory=dict)


def source_line(node) -> str:
    """The model's line that produced `node` (the innermost frame outside torch), or ''."""
    trace = node.meta.get("stack_trace") or ""
    frames = re.findall(r'File "([^"]+)", line (\d+), in [^\n]*\n\s*([^\n]*)', trace)
    if not frames:
        return ""
    torch_dir = os.sep + "torch" + os.sep
    user = [f for f in frames if torch_dir not in f[0]] or frames
    path, line, code = user[-1]
    return f"{path}:{line}: {code.strip()}"


def _where(name, op, node) -> str:
    src = source_line(node)
    return f"{op} (node {name!r})" + (f" at {src}" if src else "")


def _value_info(node, what):
    """(shape, dtype) of a tensor value from its fake tensor."""
    val = node.meta.get("val")
    if val is None or not hasattr(val, "shape"):
        raise LoweringError(f"{what}: value {node.name!r} is not a tensor ({type(val).__name__})")
    shape = []
    for d in val.shape:
        if not isinstance(d, int):
            raise LoweringError(
                f"{what}: value {node.name!r} has a dynamic dimension {d} in shape {tuple(val.shape)}; "
                "only static shapes (those of the example inputs) are supported"
            )
        shape.append(d)
    dtype = str(val.dtype).removeprefix("torch.")
    if dtype not in _DTYPES:
        raise LoweringError(f"{what}: value {node.name!r} has unsupported dtype {dtype}")
    return tuple(shape), dtype


class _Lowerer:
    def __init__(self, captured):
        self.captured = captured
        self.alias = {}  # value name -> the value it is
        self.values = {}  # value name -> (shape, dtype)
        self.multi = {}  # node name of a multi-output op -> [value name or None]
        self.functions = []

    def canonical(self, name):
        while name in self.alias:
            name = self.alias[name]
        return name

    def run(self) -> LoweredModule:
        graph = self.captured.program.graph
        outputs = []
        for node in graph.nodes:
            if node.op == "placeholder":
                self.values[node.name] = _value_info(node, "graph input")
            elif node.op == "call_function":
                self.call(node)
            elif node.op == "output":
                outputs = [self.output_value(a) for a in node.args[0]]
            else:
                raise LoweringError(f"graph node {node.name!r} of kind {node.op!r} is not supported")
        return LoweredModule(self.functions, list(self.captured.inputs), dict(self.captured.constants), outputs,
                             self.values)

    def output_value(self, arg):
        if not hasattr(arg, "name") or self.canonical(arg.name) not in self.values:
            raise LoweringError(f"graph output {arg!r} is not a tensor value")
        return self.canonical(arg.name)

    def call(self, node):
        op = str(node.target)
        if op in IGNORED:
            return
        if op == "<built-in function getitem>":
            return self.getitem(node)
        converter = CONVERTERS.get(op)
        if converter is None:
            hint = ""
            if op.split(".")[1].endswith("_"):
                hint = " (an in-place update, as of batch-norm statistics in training mode: call model.eval())"
            raise UnsupportedOperatorError(
                f"{_where(node.name, op, node)}: the PyTorch front end has no converter for {op}{hint}"
            )
        placeholders = {}

        def arg(a):
            if isinstance(a, (list, tuple)):
                return type(a)(arg(x) for x in a)
            if not hasattr(a, "op") or not hasattr(a, "meta"):  # not an fx Node: a Python value
                return a
            name = self.canonical(a.name)
            if name not in self.values:
                raise LoweringError(f"{_where(node.name, op, node)}: argument {a.name!r} is not a tensor value")
            if name not in placeholders:
                shape, dtype = self.values[name]
                placeholders[name] = te.placeholder(shape, dtype, name=name)
            return placeholders[name]

        args = [arg(a) for a in node.args]
        kwargs = {k: arg(v) for k, v in node.kwargs.items()}
        try:
            result = converter(*args, **kwargs)
        except (ConversionError, ValueError, TypeError) as e:
            raise LoweringError(f"{_where(node.name, op, node)}: {e}") from e
        self.record(node, op, result, placeholders)

    def record(self, node, op, result, placeholders):
        val = node.meta.get("val")
        multi = isinstance(result, tuple)
        results = list(result) if multi else [result]
        vals = list(val) if multi else [val]
        names = [f"{node.name}_{k}" for k in range(len(results))] if multi else [node.name]
        by_tensor = {id(t): n for n, t in placeholders.items()}
        computed, out_names = [], []
        for k, (t, name) in enumerate(zip(results, names)):
            if t is None:
                names[k] = None
                continue
            want = _value_info(_Val(node.name, vals[k]), _where(node.name, op, node))
            if (t.shape, t.dtype) != want:
                raise LoweringError(
                    f"{_where(node.name, op, node)}: output {k} lowered to shape {t.shape} {t.dtype}, "
                    f"torch computes {want[0]} {want[1]} (a converter bug)"
                )
            if isinstance(t.op, PlaceholderOp):
                self.alias[name] = by_tensor[id(t)]
                continue
            self.values[name] = want
            computed.append(t)
            out_names.append(name)
        if multi:
            self.multi[node.name] = names
        if computed:
            inputs = list(placeholders)
            func = te.create_prim_func(list(placeholders.values()) + computed, name=node.name)
            self.functions.append(LoweredFunction(node.name, op, func, inputs, out_names, source_line(node)))

    def getitem(self, node):
        parent, index = node.args
        names = self.multi.get(parent.name)
        if names is None:
            raise LoweringError(f"getitem (node {node.name!r}) of {parent.name!r}, which has a single output")
        if names[index] is None:
            raise UnsupportedOperatorError(
                f"{_where(parent.name, str(parent.target), parent)}: output {index} is used "
                f"(by {node.name!r}) but the front end computes only output 0"
            )
        self.alias[node.name] = names[index]


class _Val:
    """A stand-in node carrying one fake tensor of a multi-output node."""

    def __init__(self, name, val):
        self.name, self.meta = name, {"val": val}


def lower_captured(captured) -> LoweredModule:
    return _Lowerer(captured).run()


def lower_module(model, example_inputs, decompose: bool = False) -> LoweredModule:
    """`model` at the example inputs' static shapes as one PrimFunc per aten node, in graph order."""
    return lower_captured(capture(model, example_inputs, decompose))
