"""A workload: a PrimFunc with its FLOP count, input generator and numpy reference."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .. import tir
from ..runtime.aligned import aligned_copy
from ..tir.dtype import is_float


@dataclass(frozen=True)
class Workload:
    """One instance of an op of the suite at one size.

    `reference_fn` maps the input arrays to the expected outputs; outputs are the last
    `num_outputs` parameters of `func`.
    """

    name: str
    size: str
    func: tir.PrimFunc
    flops: int
    reference_fn: Callable = field(repr=False)
    num_outputs: int = 1
    rtol: float = 1e-4
    atol: float = 1e-4
    description: str = ""

    @property
    def num_inputs(self) -> int:
        return len(self.func.params) - self.num_outputs

    def make_inputs(self, seed: int = 0) -> list:
        """Arrays for every parameter, cache-line aligned as a framework's tensors are
        (runtime.aligned): inputs random in [-1, 1) (ints in [-4, 4]), outputs zero."""
        rng = np.random.default_rng(seed)
        arrays = []
        for i, p in enumerate(self.func.params):
            if i >= self.num_inputs:
                values = np.zeros(p.shape, p.dtype)
            elif is_float(p.dtype):
                values = rng.uniform(-1.0, 1.0, p.shape).astype(p.dtype)
            else:
                values = rng.integers(-4, 5, p.shape).astype(p.dtype)
            arrays.append(aligned_copy(values))
        return arrays

    def reference(self, *arrays) -> list:
        """Expected outputs for the given inputs (pass the inputs alone, or every parameter)."""
        if len(arrays) not in (self.num_inputs, len(self.func.params)):
            raise TypeError(
                f"workload {self.name!r}: reference takes the {self.num_inputs} inputs "
                f"(or all {len(self.func.params)} parameters), got {len(arrays)} arrays"
            )
        outs = self.reference_fn(*arrays[: self.num_inputs])
        params = self.func.params[self.num_inputs :]
        return [np.asarray(o).astype(p.dtype).reshape(p.shape) for o, p in zip(outs, params)]

    def compare(self, arrays) -> tuple:
        """(correct, max_abs_err) of the outputs in `arrays` (all parameters, after a run)."""
        expected = self.reference(*arrays)
        correct, err = True, 0.0
        for got, want in zip(arrays[self.num_inputs :], expected):
            got64, want64 = np.asarray(got, np.float64), np.asarray(want, np.float64)
            diff = np.abs(got64 - want64)
            if diff.size:
                err = max(err, float(np.max(np.where(np.isnan(diff), np.inf, diff))))
            correct = correct and bool(np.allclose(got64, want64, rtol=self.rtol, atol=self.atol))
        return correct, err
