"""The numpy baseline of a suite workload: what a candidate's outputs are checked against when
numpy can say it faster than the untransformed program.

By default a task's baseline is its untransformed program, built and run once per runner: for a
large unscheduled kernel that run is slow (GMM-1024: about ten seconds of naive loops before the
first candidate can be checked). A suite workload's numpy reference gives the same outputs in
milliseconds (the suite's tests check that every unscheduled workload computes what its numpy
reference does), so the CLI passes `SuiteBaseline(name, size)` as the task's baseline.
A float16 variant (`dtype="float16"`) is referenced in float64 from its fp16 inputs, as its
fp32 accumulation computes it, and rounded to its outputs' dtype.
"""

from __future__ import annotations

import numpy as np


class SuiteBaseline:
    """The expected outputs of suite workload `name` at `size`, from its numpy reference.
    Small and picklable: it travels with every RunnerInput of its task. Any object with
    `expected(arrays)` and `digest()` can serve as a task's baseline the same way."""

    __slots__ = ("name", "size", "dtype")

    def __init__(self, name: str, size: str, dtype: str | None = None):
        self.name, self.size, self.dtype = name, size, dtype

    def __reduce__(self):
        return (SuiteBaseline, (self.name, self.size, self.dtype))

    def __repr__(self):
        dtype = "" if self.dtype is None else f", {self.dtype!r}"
        return f"SuiteBaseline({self.name!r}, {self.size!r}{dtype})"

    def digest(self) -> str:
        """Identifies the expected outputs (the runner caches them under it)."""
        return f"suite:{self.name}:{self.size}" + ("" if self.dtype is None else f":{self.dtype}")

    def expected(self, arrays: list) -> list:
        """Every parameter after a correct run on `arrays` (inputs as given, outputs computed)."""
        from .suite import get

        workload = get(self.name, self.size, self.dtype)
        inputs = [np.array(a, copy=True) for a in arrays[: workload.num_inputs]]
        if self.dtype is None:
            return inputs + [np.ascontiguousarray(o) for o in workload.reference(*inputs)]
        outs = workload.reference(*[a.astype(np.float64) for a in inputs])
        params = workload.func.params[workload.num_inputs:]
        return inputs + [np.ascontiguousarray(o, dtype=p.dtype) for o, p in zip(outs, params)]
