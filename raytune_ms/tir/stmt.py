"""Statements: loops, blocks and their realisations, stores, sequences and conditionals."""

from __future__ import annotations

from .expr import PrimExpr, Range, const, convert
from .node import Node

FOR_KINDS = ("serial", "parallel", "vectorized", "unrolled", "thread_binding")
THREAD_TAGS = (
    "blockIdx.x", "blockIdx.y", "blockIdx.z",
    "threadIdx.x", "threadIdx.y", "threadIdx.z",
    "vthread.x", "vthread.y", "vthread.z",
)


class Stmt(Node):
    __slots__ = ()


def _frozen_annotations(annotations) -> tuple:
    """Annotations as a sorted tuple of (key, value) pairs: hashable and order-independent."""
    if not annotations:
        return ()
    if type(annotations) is tuple and len(annotations) == 1:  # a node's own (rebuilt nodes pass it on)
        item = annotations[0]
        if type(item) is tuple and len(item) == 2 and type(item[0]) is str:
            return annotations
    items = annotations.items() if isinstance(annotations, dict) else annotations
    return tuple(sorted((str(k), v) for k, v in items))


class For(Stmt):
    """`for loop_var in range(min, min + extent)` of a given kind.

    kind is one of FOR_KINDS; thread_binding carries its tag (e.g. "threadIdx.x").
    """

    __slots__ = ("loop_var", "min", "extent", "kind", "body", "thread_tag", "annotations")
    _fields = ("loop_var", "min", "extent", "kind", "body", "thread_tag", "annotations")

    def __init__(self, loop_var, min, extent, kind, body, thread_tag="", annotations=()):
        if kind not in FOR_KINDS:
            raise ValueError(f"loop {loop_var.name!r}: kind must be one of {FOR_KINDS}, got {kind!r}")
        if kind == "thread_binding" and thread_tag not in THREAD_TAGS:
            raise ValueError(f"loop {loop_var.name!r}: unknown thread tag {thread_tag!r}")
        self.loop_var = loop_var
        self.min = min if isinstance(min, PrimExpr) else convert(min)
        self.extent = extent if isinstance(extent, PrimExpr) else convert(extent)
        self.kind = kind
        self.body = body
        self.thread_tag = thread_tag
        self.annotations = _frozen_annotations(annotations)

    def annotation(self, key, default=None):
        return dict(self.annotations).get(key, default)


class BufferRegion(Node):
    __slots__ = ("buffer", "region")
    _fields = ("buffer", "region")

    def __init__(self, buffer, region):
        self.buffer = buffer
        self.region = tuple(region)

    @staticmethod
    def full(buffer) -> BufferRegion:
        return BufferRegion(buffer, [Range(0, s) for s in buffer.shape])


class Block(Stmt):
    """The unit of scheduling: iterators with domains, read/write regions, optional reduction
    init, a body, and buffers allocated here."""

    __slots__ = ("name", "iter_vars", "reads", "writes", "body", "init", "alloc_buffers",
                 "annotations")
    _fields = ("name", "iter_vars", "reads", "writes", "body", "init", "alloc_buffers",
               "annotations")

    def __init__(self, name, iter_vars, reads, writes, body, init=None, alloc_buffers=(),
                 annotations=()):
        self.name = str(name)
        self.iter_vars = tuple(iter_vars)
        self.reads = tuple(reads)
        self.writes = tuple(writes)
        self.body = body
        self.init = init
        self.alloc_buffers = tuple(alloc_buffers)
        self.annotations = _frozen_annotations(annotations)

    def annotation(self, key, default=None):
        return dict(self.annotations).get(key, default)


class BlockRealize(Stmt):
    """A block instance: the values of its iterators and a predicate guarding it."""

    __slots__ = ("iter_values", "predicate", "block")
    _fields = ("iter_values", "predicate", "block")

    def __init__(self, iter_values, predicate, block):
        self.iter_values = tuple([v if isinstance(v, PrimExpr) else convert(v) for v in iter_values])
        self.predicate = const(True) if predicate is None else \
            predicate if isinstance(predicate, PrimExpr) else convert(predicate)
        self.block = block
        if len(self.iter_values) != len(block.iter_vars):
            raise ValueError(
                f"block {block.name!r}: {len(block.iter_vars)} iter vars, "
                f"{len(self.iter_values)} values"
            )


class BufferStore(Stmt):
    __slots__ = ("buffer", "value", "indices")
    _fields = ("buffer", "value", "indices")

    def __init__(self, buffer, value, indices):
        if len(indices) != buffer.ndim:
            raise IndexError(f"store to {buffer.name!r}: {buffer.ndim} dims, {len(indices)} indices")
        self.buffer = buffer
        self.value = convert(value, _like(buffer))
        self.indices = tuple(convert(i) for i in indices)


def _like(buffer):
    return const(0, buffer.dtype)


class SeqStmt(Stmt):
    __slots__ = ("seq",)
    _fields = ("seq",)

    def __init__(self, seq):
        self.seq = tuple(seq)


class IfThenElse(Stmt):
    __slots__ = ("condition", "then_case", "else_case")
    _fields = ("condition", "then_case", "else_case")

    def __init__(self, condition: PrimExpr, then_case, else_case=None):
        self.condition = condition
        self.then_case = then_case
        self.else_case = else_case


class Evaluate(Stmt):
    """An expression evaluated for effect (a no-op placeholder when the value is a constant)."""

    __slots__ = ("value",)
    _fields = ("value",)

    def __init__(self, value):
        self.value = convert(value)


def seq(*stmts) -> Stmt:
    """Flatten nested sequences; one statement stays itself."""
    flat = []
    for s in stmts:
        if isinstance(s, SeqStmt):
            flat.extend(s.seq)
        elif s is not None:
            flat.append(s)
    return flat[0] if len(flat) == 1 else SeqStmt(flat)
