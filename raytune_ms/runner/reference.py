"""What a candidate's outputs are checked against, when numpy can say it faster than the
untransformed program.

The default reference is the untransformed program itself, built and run once per runner: for a
large unscheduled kernel that run is slow (GMM-1024: about ten seconds of naive loops before the
first candidate can be checked). When the task is a workload of the suite (structurally equal
to one), its numpy reference gives the same outputs in milliseconds — the suite's tests check
that every unscheduled workload computes what its numpy reference does.
"""

from __future__ import annotations

import functools

import numpy as np


class SuiteReference:
    """The expected outputs of suite workload `name` at `size`, from its numpy reference.
    Small and picklable: it travels with every RunnerInput of its task."""

    __slots__ = ("name", "size")

    def __init__(self, name: str, size: str):
        self.name, self.size = name, size

    def __reduce__(self):
        return (SuiteReference, (self.name, self.size))

    def __repr__(self):
        return f"SuiteReference({self.name!r}, {self.size!r})"

    def digest(self) -> str:
        return f"suite:{self.name}:{self.size}"

    def expected(self, arrays: list) -> list:
        """Every parameter after a correct run on `arrays` (inputs as given, outputs computed)."""
        from .. import workloads

        workload = workloads.get(self.name, self.size)
        inputs = [np.array(a, copy=True) for a in arrays[: workload.num_inputs]]
        return inputs + [np.ascontiguousarray(o) for o in workload.reference(*inputs)]


@functools.lru_cache(maxsize=1)
def _suite_index() -> dict:
    """structural hash -> [(name, size, PrimFunc)] over the whole suite."""
    from .. import tir, workloads

    index: dict = {}
    for name in workloads.names():
        for size in ("small", "standard"):
            func = workloads.get(name, size).func
            index.setdefault(tir.structural_hash(func), []).append((name, size, func))
    return index


def suite_reference(mod) -> SuiteReference | None:
    """The numpy reference of `mod` (an IRModule with one PrimFunc, or a PrimFunc) if it is a
    workload of the suite, else None."""
    from .. import tir

    func = mod
    if isinstance(mod, tir.IRModule):
        names = mod.get_global_vars()
        if len(names) != 1:
            return None
        func = mod[names[0]]
    if not isinstance(func, tir.PrimFunc):
        return None
    try:
        matches = _suite_index().get(tir.structural_hash(func), [])
    except Exception:  # the suite could not be built here: fall back to the program itself
        return None
    for name, size, candidate in matches:
        if tir.structural_equal(func, candidate):
            return SuiteReference(name, size)
    return None
