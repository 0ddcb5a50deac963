"""Lower a te graph to a PrimFunc: one block per compute, under the "root" block.

Each compute becomes a loop nest (spatial axes, then reduce axes, all from 0) around a block
whose iterators are the axes (spatial / reduce), with read and write regions, and for a
reduction an `init` storing the reducer's identity. Intermediate tensors are allocated by the
root block. Names are made unique deterministically (`conv`, `conv_1`, ...) in dependency order.
"""

from __future__ import annotations

from .. import tir
from ..tir.dtype import promote
from .bounds_check import check_in_bounds, clamp_data_dependent
from .reduce import Reduce
from .region import read_regions
from .tensor import ComputeOp, PlaceholderOp, Tensor


def _dependency_order(args) -> list:
    """Every tensor the args depend on, producers before consumers (post-order DFS)."""
    order, seen = [], set()

    def visit(t):
        if id(t) in seen:
            return
        seen.add(id(t))
        for inp in t.op.input_tensors:
            visit(inp)
        order.append(t)

    for t in args:
        visit(t)
    return order


def _unique_names(order) -> dict:
    taken, names = {"root"}, {}
    for t in order:
        name, k = t.name, 1
        while name in taken:
            name, k = f"{t.name}_{k}", k + 1
        taken.add(name)
        names[id(t)] = name
    return names


def _explicit_casts(expr):
    """Make mixed-dtype arithmetic explicit: both operands cast to the promoted dtype."""

    def post(n):
        if isinstance(n, tir.BinaryOp) and not isinstance(n, (tir.And, tir.Or)) and n.a.dtype != n.b.dtype:
            t = promote(n.a.dtype, n.b.dtype)
            return type(n)(tir.cast(t, n.a), tir.cast(t, n.b))
        if isinstance(n, tir.Select) and n.true_value.dtype != n.false_value.dtype:
            return tir.Select(n.condition, tir.cast(n.dtype, n.true_value), tir.cast(n.dtype, n.false_value))
        return None

    return tir.transform(expr, post=post)


def _lower(tensor: Tensor, name: str, buffer_map: dict):
    op: ComputeOp = tensor.op
    out = buffer_map[tensor.buffer]
    taken, loop_vars, iter_vars, subst = set(), [], [], dict(buffer_map)
    for ax in op.axis + op.reduce_axis:
        var_name, k = ax.name, 1
        while var_name in taken:
            var_name, k = f"{ax.name}_{k}", k + 1
        taken.add(var_name)
        loop_vars.append(tir.Var(var_name))
        block_var = tir.Var(f"v_{var_name}")
        iter_vars.append(tir.IterVar(block_var, tir.Range(0, ax.extent), ax.kind))
        subst[ax] = tir.add(block_var, ax.lo)
    spatial = [iv.var for iv in iter_vars[: len(op.axis)]]
    body = op.body
    init = None
    if isinstance(body, Reduce):
        lhs = tir.BufferLoad(out, spatial)
        value = body.reducer.combine(lhs, tir.substitute(body.source, subst))
        if body.condition is not None:
            value = tir.select(tir.substitute(body.condition, subst), value, lhs)
        init = tir.BufferStore(out, tir.cast(out.dtype, body.reducer.identity(out.dtype)), spatial)
    else:
        value = tir.substitute(body, subst)
    value = clamp_data_dependent(value)
    check_in_bounds(value, {iv.var: iv.dom for iv in iter_vars}, name)
    store = tir.BufferStore(out, tir.cast(out.dtype, _explicit_casts(value)), spatial)
    block = tir.Block(
        name,
        iter_vars,
        reads=read_regions(store.value, exclude=out),
        writes=[tir.BufferRegion(out, [tir.Range(v, 1) for v in spatial])],
        body=store,
        init=init,
        annotations=op.attrs,
    )
    nest = tir.BlockRealize(loop_vars, True, block)
    for var, iv in reversed(list(zip(loop_vars, iter_vars))):
        nest = tir.For(var, 0, iv.dom.extent, "serial", nest)
    return nest


def create_prim_func(tensors, name: str = "main") -> tir.PrimFunc:
    """A PrimFunc whose parameters are `tensors`' buffers in the order given (inputs, then
    outputs); every other tensor they depend on becomes an intermediate buffer."""
    args = list(tensors)
    for t in args:
        if not isinstance(t, Tensor):
            raise TypeError(f"create_prim_func: expected te tensors, got {type(t).__name__} {t!r}")
    if len({id(t) for t in args}) != len(args):
        dup = next(t for i, t in enumerate(args) if any(t is u for u in args[:i]))
        raise ValueError(f"create_prim_func: tensor {dup.name!r} is listed twice")
    order = _dependency_order(args)
    arg_ids = {id(t) for t in args}
    for t in order:
        if isinstance(t.op, PlaceholderOp) and id(t) not in arg_ids:
            users = [u.name for u in order if any(i is t for i in u.op.input_tensors)]
            raise ValueError(
                f"create_prim_func: placeholder {t.name!r} (read by {', '.join(users)}) "
                "is not among the function's tensors"
            )
    if not any(isinstance(t.op, ComputeOp) for t in order):
        raise ValueError("create_prim_func: no compute among the tensors; nothing to do")
    names = _unique_names(order)
    buffers = {id(t): tir.Buffer(names[id(t)], t.shape, t.dtype) for t in order}
    buffer_map = {t.buffer: buffers[id(t)] for t in order}
    computes = [t for t in order if isinstance(t.op, ComputeOp)]
    root = tir.Block(
        "root", [], [], [],
        body=tir.seq(*[_lower(t, names[id(t)], buffer_map) for t in computes]),
        alloc_buffers=[buffers[id(t)] for t in computes if id(t) not in arg_ids],
    )
    return tir.PrimFunc(
        [buffers[id(t)] for t in args],
        tir.BlockRealize([], True, root),
        {"global_symbol": name, "tir.noalias": True},
    )
