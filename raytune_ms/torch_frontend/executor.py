"""Run a lowered model: every kernel compiled with the C code generator and called in graph
order on numpy buffers (the reference path for checking lowering against PyTorch eager)."""

from __future__ import annotations

import numpy as np

from ..codegen.build import build
from .capture import to_numpy


def run_lowered(lowered, *inputs, target: str = "llvm") -> list:
    """The graph outputs (numpy arrays) of `lowered` on the given user inputs (arrays or tensors)."""
    if len(inputs) != len(lowered.inputs):
        raise TypeError(f"run_lowered: the model takes {len(lowered.inputs)} inputs, got {len(inputs)}")
    env = dict(lowered.constants)
    for name, x in zip(lowered.inputs, inputs):
        x = to_numpy(x)
        shape, dtype = lowered.values[name]
        if x.shape != shape or str(x.dtype) != dtype:
            raise ValueError(
                f"run_lowered: input {name!r} is {x.shape} {x.dtype}, the model was captured at {shape} {dtype}"
            )
        env[name] = x
    for fn in lowered.functions:
        if fn.torch_call is not None:
            env.update(zip(fn.outputs, fn.torch_call(env)))
            continue
        args = [np.ascontiguousarray(env[n]) for n in fn.inputs]
        outs = [np.zeros(*lowered.values[n]) for n in fn.outputs]
        build(fn.func, target)(*args, *outs)
        env.update(zip(fn.outputs, outs))
    return [env[n] for n in lowered.outputs]
