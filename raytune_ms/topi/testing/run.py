"""Build an operator's te graph with the C code generator and run it on numpy arrays."""

from __future__ import annotations

import numpy as np

from ... import te
from ...codegen.build import build


def run_te(inputs, outputs, arrays, target: str = "llvm"):
    """The output arrays of `te.create_prim_func(inputs + outputs)` run on `arrays` (one per input)."""
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    func = te.create_prim_func(list(inputs) + outputs)
    if len(arrays) != len(inputs):
        raise ValueError(f"run_te: {len(inputs)} input tensors but {len(arrays)} arrays")
    args = [np.ascontiguousarray(a, dtype=t.dtype) for a, t in zip(arrays, inputs)]
    outs = [np.zeros(t.shape, t.dtype) for t in outputs]
    build(func, target)(*args, *outs)
    return outs
