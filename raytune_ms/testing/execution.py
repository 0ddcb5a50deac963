"""Building a function with the real C pipeline and running it on numpy arrays."""

from __future__ import annotations

import numpy as np

from ..codegen import build


def rand(shape, dtype="float32", seed=0):
    """A random array: floats in [-2, 2], integers in [-50, 50), booleans."""
    rng = np.random.default_rng(seed)
    if dtype.startswith("float"):
        return rng.uniform(-2, 2, shape).astype(dtype)
    if dtype == "bool":
        return rng.integers(0, 2, shape).astype(bool)
    return rng.integers(-50, 50, shape).astype(dtype)


def run(f, *arrays, target="llvm"):
    """Build `f`, run it on copies of `arrays`, return the copies (outputs written)."""
    mod = build(f, target)
    out = [a.copy() for a in arrays]
    mod(*out)
    return out
