"""Hand-written design spaces (schedule functions) for the CPU: one for matmul-like and one
for convolution-like workloads. `get(name)` returns a space by name, `for_workload(name)` the
one that suits a suite workload."""

from __future__ import annotations

from .conv import conv_space
from .matmul import matmul_space

SPACES = {"matmul": matmul_space, "conv": conv_space}

WORKLOAD_SPACES = {
    "GMM": "matmul", "GMM-1024": "matmul", "BMM": "matmul", "GEMV": "matmul", "TBG": "matmul",
    "C1D": "conv", "C2D": "conv", "C3D": "conv", "DIL": "conv", "GRP": "conv", "DEP": "conv",
    "CAP": "conv", "T2D": "conv", "CBR": "conv",
}


def get(name: str):
    if name not in SPACES:
        raise ValueError(f"unknown hand-written space {name!r}; known: {', '.join(sorted(SPACES))}")
    return SPACES[name]


def for_workload(workload: str) -> str | None:
    """The name of the hand-written space suited to a suite workload (None if there is none)."""
    return WORKLOAD_SPACES.get(workload)


__all__ = ["SPACES", "conv_space", "for_workload", "get", "matmul_space"]
