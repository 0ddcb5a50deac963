"""PrimFuncs written node by node, for tests of what te cannot express (loop kinds, thread
bindings, hand-placed allocations)."""

from __future__ import annotations

from .. import tir


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
