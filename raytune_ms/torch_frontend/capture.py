"""Capture an nn.Module as an aten-level graph with torch.export, shapes fixed by the example
inputs; parameters, buffers and constants become numpy arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .converters import KEEP_UNDECOMPOSED


@dataclass
class CapturedGraph:
    """The exported program and the values its graph reads: user inputs (placeholder names,
    in call order) and constants (placeholder name -> array)."""

    program: object  # torch.export.ExportedProgram
    inputs: list
    constants: dict


def to_numpy(value) -> np.ndarray:
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach().cpu().contiguous().numpy()
    return np.asarray(value)


def capture(model, example_inputs, decompose: bool = False) -> CapturedGraph:
    """torch.export of `model` at the example inputs' shapes (static: no dynamic dimensions);
    `decompose` also runs the core-aten decompositions (linear becomes permute + addmm, ...),
    except for the ops in KEEP_UNDECOMPOSED."""
    import torch

    if not isinstance(example_inputs, tuple):
        example_inputs = tuple(example_inputs) if isinstance(example_inputs, list) else (example_inputs,)
    for k, x in enumerate(example_inputs):
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"capture: example input {k} is a {type(x).__name__}; only tensors are supported")
    program = torch.export.export(model, example_inputs)
    if decompose:
        table = torch.export.default_decompositions()
        for op in list(table):
            if str(op) in KEEP_UNDECOMPOSED:
                del table[op]
        program = program.run_decompositions(table)
    inputs, constants = [], {}
    for spec in program.graph_signature.input_specs:
        kind, name = spec.kind.name, spec.arg.name
        if kind == "USER_INPUT":
            inputs.append(name)
        elif kind in ("PARAMETER", "BUFFER"):
            constants[name] = to_numpy(program.state_dict[spec.target])
        elif kind == "CONSTANT_TENSOR":
            constants[name] = to_numpy(program.constants[spec.target])
        else:
            raise ValueError(f"capture: graph input {name!r} of kind {kind} is not supported")
    return CapturedGraph(program, inputs, constants)
