"""Lower a captured graph to PrimFuncs built from the operator library, reading and writing named
values of the graph: one per aten call, or (fuse) one per group of an anchor op and the
element-wise and layout ops that consume it, as one te compute chain (intermediates are buffers
of the PrimFunc, for the design space to inline).

Errors name the aten op, the graph node and the model's source line; shapes must be static.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import numpy as np

from .. import te, tir, topi
from ..tir.layout_rewrite import LAYOUT_FREE_ATTR
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
    ops: list = field(default_factory=list)  # the aten ops lowered into it, anchor first
    label: str = ""  # e.g. conv2d_bias_batch_norm_relu
    torch_call: object = None  # instead of func: a TorchCall running the node through PyTorch


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


# ops computed point by point (or broadcast): they fuse into the kernel that produces their input
ELEMENTWISE = {
    f"aten.{n}.{v}"
    for n, v in [(n, "default") for n in ("relu", "silu", "sigmoid", "tanh", "exp", "log", "sqrt", "rsqrt", "erf",
                                          "abs", "neg", "gelu", "leaky_relu", "hardtanh", "relu6", "clamp",
                                          "maximum", "minimum", "batch_norm", "_native_batch_norm_legit_no_training")]
    + [(n, v) for n in ("add", "sub", "mul", "div") for v in ("Tensor", "Scalar")]
    + [("rsub", "Scalar"), ("rsub", "Tensor"), ("pow", "Tensor_Scalar"), ("pow", "Tensor_Tensor")]
}
# layout ops (each output element reads one input element): they fuse like element-wise ops
INJECTIVE = {
    "aten.view.default", "aten.reshape.default", "aten._unsafe_view.default", "aten.unflatten.int",
    "aten.flatten.using_ints", "aten.permute.default", "aten.transpose.int", "aten.t.default",
    "aten.expand.default", "aten.unsqueeze.default", "aten.squeeze.dim", "aten.squeeze.dims",
    "aten.squeeze.default", "aten.slice.Tensor", "aten.select.int",
}
FUSABLE = ELEMENTWISE | INJECTIVE
# ops whose converter may return its input: their users are the input's users
_PASS_THROUGH = {
    "aten.dropout.default", "aten.clone.default", "aten.contiguous.default", "aten.alias.default",
    "aten.detach.default", "<built-in function getitem>",
}
_BATCH_NORM = {"aten.batch_norm.default": (1, 2, 3, 4, 7), "aten._native_batch_norm_legit_no_training.default":
               (1, 2, 3, 4, 6)}  # op -> argument positions of weight, bias, mean, var, eps
_ANCHOR_BIAS = {"aten.linear.default": 2, "aten.conv1d.default": 2, "aten.conv2d.default": 2,
                "aten.conv1d.padding": 2, "aten.conv2d.padding": 2, "aten.convolution.default": 2,
                "aten.conv_transpose1d.default": 2, "aten.conv_transpose2d.input": 2}


def short_name(op: str) -> str:
    """aten.conv2d.default -> conv2d; the inference batch norm's aliases -> batch_norm."""
    name = op.split(".")[1] if op.startswith("aten.") else op
    return "batch_norm" if "batch_norm" in name else name.lstrip("_")


def _effective_users(node) -> set:
    """The nodes that read `node`'s value, looking through getitem and pass-through ops
    (the graph's output node included)."""
    users = set()
    for u in node.users:
        if u.op == "call_function" and str(u.target) in _PASS_THROUGH:
            users |= _effective_users(u) or {u}
        else:
            users.add(u)
    return users


class _Group:
    """Nodes lowered into one kernel: te tensors computed inside (value name -> tensor), the
    values read from outside (name -> placeholder), and the values it outputs (name -> tensor)."""

    def __init__(self, node, op):
        self.name, self.source = node.name, source_line(node)
        self.ops = [op]
        self.label = [short_name(op)]
        pos = _ANCHOR_BIAS.get(op)
        if pos is not None and len(node.args) > pos and node.args[pos] is not None:
            self.label.append("bias")
        self.tensors, self.placeholders, self.outputs = {}, {}, {}
        self.tail_node = None  # the fx node whose value the group outputs, while it has one output


class _Lowerer:
    def __init__(self, captured, fuse: bool = False, fallback: str | None = None):
        if fallback not in (None, "torch"):
            raise ValueError(f"fallback must be None or 'torch', got {fallback!r}")
        self.captured = captured
        self.fuse = fuse
        self.fallback = fallback
        self.alias = {}  # value name -> the value it is
        self.values = {}  # value name -> (shape, dtype)
        self.constants = dict(captured.constants)
        self.multi = {}  # node name of a multi-output op -> [value name or None]
        self.functions = []
        self.open = {}  # output value name of an open group -> the group

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
        for group in list(self.open.values()):
            self.flush(group)
        return LoweredModule(self.functions, list(self.captured.inputs), self.constants, outputs, self.values)

    def output_value(self, arg):
        if not hasattr(arg, "name") or self.canonical(arg.name) not in self.values:
            raise LoweringError(f"graph output {arg!r} is not a tensor value")
        return self.canonical(arg.name)

    def tensor_args(self, node) -> list:
        names = []
        for a in list(node.args) + list(node.kwargs.values()):
            for x in a if isinstance(a, (list, tuple)) else [a]:
                if hasattr(x, "op") and hasattr(x, "meta"):
                    names.append(self.canonical(x.name))
        return names

    def joinable(self, node, op):
        """The open group `node` extends: one whose single output only `node` reads."""
        if self.fuse and op in _PASS_THROUGH:
            return next((self.open[n] for n in self.tensor_args(node)[:1] if n in self.open), None)
        if not self.fuse or op not in FUSABLE:
            return None
        for name in self.tensor_args(node):
            group = self.open.get(name)
            if group is not None and group.tail_node is not None and _effective_users(group.tail_node) == {node}:
                return group
        return None

    def call(self, node):
        op = str(node.target)
        if op in IGNORED:
            return
        if op == "<built-in function getitem>":
            return self.getitem(node)
        reads = self.tensor_args(node)
        if self.fuse and op in FUSABLE and reads and all(n in self.constants for n in reads):
            return self.fold_constants(node, op)
        converter = CONVERTERS.get(op)
        if converter is None and self.fallback == "torch":
            return self.through_torch(node, op)
        if converter is None:
            hint = ""
            if op.split(".")[1].endswith("_"):
                hint = " (an in-place update, as of batch-norm statistics in training mode: call model.eval())"
            raise UnsupportedOperatorError(
                f"{_where(node.name, op, node)}: the PyTorch front end has no converter for {op}{hint}"
            )
        group = self.joinable(node, op)
        for name in self.tensor_args(node):  # values this node reads from other open groups are final
            other = self.open.get(name)
            if other is not None and other is not group:
                self.flush(other)
        fresh = group is None
        if fresh:
            group = _Group(node, op)
        else:
            group.ops.append(op)
            group.label.append(short_name(op))

        def arg(a):
            if isinstance(a, (list, tuple)):
                return type(a)(arg(x) for x in a)
            if not hasattr(a, "op") or not hasattr(a, "meta"):  # not an fx Node: a Python value
                return a
            return self.placeholder(group, self.canonical(a.name), node, op)

        stats = self.folded_stats(node, op) if self.fuse else None
        node_args = list(node.args)
        for k in _BATCH_NORM[op][:4] if stats else ():
            node_args[k] = None  # folded into the scale and shift
        args = [arg(a) for a in node_args]
        kwargs = {k: arg(v) for k, v in node.kwargs.items()}
        try:
            if stats:
                result = self.fold_batch_norm(group, node, op, args[0], stats)
            else:
                result = converter(*args, **kwargs)
        except (ConversionError, ValueError, TypeError) as e:
            raise LoweringError(f"{_where(node.name, op, node)}: {e}") from e
        self.record(group, fresh, node, op, result)

    def torch_outputs(self, node, op) -> list:
        """The value names of a node computed by PyTorch (at run or lowering time), recorded."""
        val = node.meta.get("val")
        multi = isinstance(val, (list, tuple))
        names = [f"{node.name}_{k}" for k in range(len(val))] if multi else [node.name]
        for name, v in zip(names, val if multi else [val]):
            self.values[name] = _value_info(_Val(name, v), _where(node.name, op, node))
        if multi:
            self.multi[node.name] = names
        return names

    def torch_call(self, node) -> TorchCall:
        def template(a):
            if isinstance(a, (list, tuple)):
                return type(a)(template(x) for x in a)
            return TorchArg(self.canonical(a.name)) if hasattr(a, "op") and hasattr(a, "meta") else a

        return TorchCall(node.target, template(tuple(node.args)), {k: template(v) for k, v in node.kwargs.items()})

    def fold_constants(self, node, op):
        """A layout or element-wise op of constants only (a weight's transpose): computed now by
        PyTorch, its value a new constant, no kernel."""
        names = self.torch_outputs(node, op)
        for name, value in zip(names, self.torch_call(node)(self.constants)):
            self.constants[name] = np.array(value, copy=True, order="C")

    def through_torch(self, node, op):
        """A node with no converter, run by PyTorch at its place in the graph."""
        reads = self.tensor_args(node)
        for name in reads:
            if name in self.open:
                self.flush(self.open[name])
        names = self.torch_outputs(node, op)
        self.functions.append(LoweredFunction(node.name, op, None, reads, names, source_line(node), [op],
                                              short_name(op), self.torch_call(node)))

    def placeholder(self, group, name, node, op):
        if name in group.tensors:
            return group.tensors[name]
        if name not in self.values:
            raise LoweringError(f"{_where(node.name, op, node)}: argument {name!r} is not a tensor value")
        if name not in group.placeholders:
            shape, dtype = self.values[name]
            group.placeholders[name] = te.placeholder(shape, dtype, name=name)
        return group.placeholders[name]

    def folded_stats(self, node, op):
        """The constant weight, bias, mean, var of an inference batch norm (None where absent), or
        None when it cannot be folded."""
        if op not in _BATCH_NORM or (op == "aten.batch_norm.default" and node.args[5]):
            return None  # training mode: the converter says so
        stats = [node.args[k] for k in _BATCH_NORM[op][:4]]
        names = [None if s is None else self.canonical(s.name) for s in stats]
        if names[2] is None or names[3] is None or any(n is not None and n not in self.constants for n in names):
            return None
        return [None if n is None else self.constants[n] for n in names]

    def fold_batch_norm(self, group, node, op, data, stats):
        """The batch norm as one scale-shift block, its scale and shift computed here (new constants)."""
        w, b, mean, var = (None if a is None else a.astype("float64") for a in stats)
        scale = 1.0 / np.sqrt(var + node.args[_BATCH_NORM[op][4]])
        if w is not None:
            scale = scale * w
        shift = -mean * scale + (b if b is not None else 0.0)
        tensors = []
        for what, value in (("scale", scale), ("shift", shift)):
            name = f"{node.name}_{what}"
            self.constants[name] = value.astype(stats[3].dtype)
            self.values[name] = (value.shape, str(stats[3].dtype))
            tensors.append(self.placeholder(group, name, node, op))
        out = topi.scale_shift(data, *tensors, axis=1, name="T_batch_norm")
        return (out, None, None) if op != "aten.batch_norm.default" else out

    def record(self, group, fresh, node, op, result):
        val = node.meta.get("val")
        multi = isinstance(result, tuple)
        results = list(result) if multi else [result]
        vals = list(val) if multi else [val]
        names = [f"{node.name}_{k}" for k in range(len(results))] if multi else [node.name]
        by_tensor = {id(t): n for n, t in list(group.placeholders.items()) + list(group.tensors.items())}
        computed = {}
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
            if id(t) in by_tensor:  # the op returned its input: an alias, no kernel
                self.alias[name] = by_tensor[id(t)]
                continue
            self.values[name] = want
            computed[name] = t
        if multi:
            self.multi[node.name] = names
        if not fresh:
            if computed:  # the group's output moves to this node's value
                (old,) = group.outputs
                del self.open[old]
                group.outputs = dict(computed)
                group.tensors.update(computed)
                group.tail_node = node
                self.open[next(iter(computed))] = group
            else:
                group.ops.pop()
                group.label.pop()
            return
        if not computed:
            return
        group.outputs = computed
        group.tensors.update(computed)
        if len(computed) == 1 and self.fuse:
            group.tail_node = node
            self.open[next(iter(computed))] = group
        else:
            self.flush(group)

    def flush(self, group):
        """The group's kernel: its placeholders, then its outputs, as one PrimFunc."""
        for name in group.outputs:
            self.open.pop(name, None)
        func = te.create_prim_func(list(group.placeholders.values()) + list(group.outputs.values()), name=group.name)
        constant = tuple(i for i, n in enumerate(group.placeholders) if n in self.constants)
        if constant:  # weights: their layout may be changed once, ahead of time (RewriteLayout)
            func = func.with_attr(LAYOUT_FREE_ATTR, constant)
        self.functions.append(LoweredFunction(group.name, group.ops[0], func, list(group.placeholders),
                                              list(group.outputs), group.source, list(group.ops),
                                              "_".join(group.label)))

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


@dataclass(frozen=True)
class TorchArg:
    """A graph value in a TorchCall's arguments."""

    name: str


@dataclass
class TorchCall:
    """An aten op called by PyTorch on graph values: `target(*args, **kwargs)` with the
    TorchArgs replaced by the values' tensors."""

    target: object
    args: tuple
    kwargs: dict

    def __call__(self, env: dict) -> list:
        """The op's outputs (numpy arrays), reading the values from env (name -> array)."""
        import torch

        def real(a):
            if isinstance(a, TorchArg):
                return torch.from_numpy(env[a.name])
            return type(a)(real(x) for x in a) if isinstance(a, (list, tuple)) else a

        out = self.target(*real(self.args), **{k: real(v) for k, v in self.kwargs.items()})
        return [o.detach().contiguous().numpy() for o in (out if isinstance(out, (list, tuple)) else [out])]


class _Val:
    """A stand-in node carrying one fake tensor of a multi-output node."""

    def __init__(self, name, val):
        self.name, self.meta = name, {"val": val}


def lower_captured(captured, fuse: bool = False, fallback: str | None = None) -> LoweredModule:
    return _Lowerer(captured, fuse, fallback).run()


def lower_module(model, example_inputs, decompose: bool = False, fuse: bool = False,
                 fallback: str | None = None) -> LoweredModule:
    """`model` at the example inputs' static shapes as PrimFuncs in graph order: one per aten
    node, or with `fuse` one per anchor op and the element-wise and layout ops that follow it
    (batch norms folded to a scale and shift, layout ops of constants computed once).
    fallback="torch": an op with no converter runs through PyTorch (a LoweredFunction with a
    torch_call and no func) instead of failing."""
    return lower_captured(capture(model, example_inputs, decompose), fuse, fallback)
