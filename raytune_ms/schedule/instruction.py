"""Instructions: one recorded schedule call (kind, inputs, attrs, outputs) and the registry of
instruction kinds, each knowing how to replay itself on a Schedule and print itself as Python.

Inputs are random variables or literals (int, float, str, None); attrs are plain JSON values;
outputs are the random variables the call created. A kind is *pure* when it does not change the
program (getters, samplers): trace simplification drops pure instructions whose outputs are
unused. EnterPostproc marks where postprocessing begins (`remove_postproc` stops there).
"""

from __future__ import annotations

from .random_variable import RV


class InstructionKind:
    """A named kind of instruction with its replay and Python-printing functions.

    Kinds live in one registry, filled by `instruction_kinds` (imported by the schedule
    package); the Schedule records its calls by kind name through `get`."""

    __slots__ = ("name", "is_pure", "is_postproc", "apply", "to_python")

    def __init__(self, name, is_pure, apply, to_python, is_postproc=False):
        self.name = name
        self.is_pure = is_pure
        self.is_postproc = is_postproc
        self.apply = apply
        self.to_python = to_python

    @staticmethod
    def get(name: str) -> InstructionKind:
        kind = _REGISTRY.get(name)
        if kind is None:
            raise ValueError(f"unknown instruction kind {name!r}; known: {sorted(_REGISTRY)}")
        return kind

    def __repr__(self):
        return f"InstructionKind({self.name!r})"


_REGISTRY: dict = {}


def register(name, apply, to_python, *, pure=False, postproc=False) -> InstructionKind:
    """Register a kind: `apply(sch, inputs, attrs, decision) -> outputs` replays it,
    `to_python(inputs, attrs, decision, outputs) -> str` prints it (inputs/outputs as names)."""
    kind = InstructionKind(name, pure, apply, to_python, postproc)
    _REGISTRY[name] = kind
    return kind


class Instruction:
    """One schedule call. Identity matters: a Trace keys decisions by instruction."""

    __slots__ = ("kind", "inputs", "attrs", "outputs")

    def __init__(self, kind, inputs, attrs, outputs):
        self.kind = kind if isinstance(kind, InstructionKind) else InstructionKind.get(kind)
        self.inputs = tuple(inputs)
        self.attrs = tuple(attrs)
        self.outputs = tuple(outputs)

    def input_rvs(self):
        return [x for x in _flat(self.inputs) if isinstance(x, RV)]

    def __repr__(self):
        return (f"Instruction({self.kind.name}, inputs={list(self.inputs)}, "
                f"attrs={list(self.attrs)})")


def _flat(values):
    for v in values:
        if isinstance(v, (list, tuple)):
            yield from _flat(v)
        else:
            yield v
