"""Helpers for codegen tests: hand-built functions and running them."""

from __future__ import annotations

import numpy as np

import raytune_ms as ms
from raytune_ms import tir


def func(params, body, allocs=(), name="main"):
    """A PrimFunc whose root block allocates `allocs` and runs `body`."""
    root = tir.Block("root", [], [], [], body, alloc_buffers=allocs)
    return tir.PrimFunc(params, tir.BlockRealize([], True, root), {"global_symbol": name})


def nest(spec, make_body):
    """Loops from `spec` = [(name, extent, kind), ...] (outermost first) around
    make_body(*loop_vars)."""
    vs = [tir.Var(n) for n, _, _ in spec]
    body = make_body(*vs)
    for v, (_, extent, kind) in reversed(list(zip(vs, spec))):
        tag = "threadIdx.x" if kind == "thread_binding" else ""
        body = tir.For(v, 0, extent, kind, body, thread_tag=tag)
    return body


def rand(shape, dtype="float32", seed=0):
    rng = np.random.default_rng(seed)
    if dtype.startswith("float"):
        return rng.uniform(-2, 2, shape).astype(dtype)
    if dtype == "bool":
        return rng.integers(0, 2, shape).astype(bool)
    return rng.integers(-50, 50, shape).astype(dtype)


def run(f, *arrays, target="llvm"):
    """Build `f`, run it on copies of `arrays`, return the copies (outputs written)."""
    mod = ms.build(f, target)
    out = [a.copy() for a in arrays]
    mod(*out)
    return out
