"""Hand-written design spaces (schedule functions) for the CPU: one for matmul-like and one
for convolution-like workloads. `get(name)` returns a space by name."""

from __future__ import annotations

from .conv import conv_space
from .matmul import matmul_space

SPACES = {"matmul": matmul_space, "conv": conv_space}


def get(name: str):
    if name not in SPACES:
        raise ValueError(f"unknown hand-written space {name!r}; known: {', '.join(sorted(SPACES))}")
    return SPACES[name]


__all__ = ["SPACES", "conv_space", "get", "matmul_space"]
