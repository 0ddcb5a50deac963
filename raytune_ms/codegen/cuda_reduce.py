"""Cross-thread reductions in a lowered CUDA kernel.

A store `C[idx] = C[idx] op v` under a loop bound to threadIdx.* whose variable `idx` does not
use is a reduction across threads, unless C is a buffer (not `shared`) allocated inside that
loop: each thread then has its own C (a register tile); a loop of one thread reduces nothing.
The loop nest L that carries it (the loops below the last loop `idx` uses) is rewritten so that
each thread accumulates its share in a register (starting from the combiner's identity), an
`AllReduce` statement combines the registers of the threads along the bound axis (warp
shuffles, or a shared-memory tree; see cuda.py), and the result is written once (by thread 0 of
the axis, or by every thread for a `local` C). When the init store sits outside L
(decompose_reduction), the result is combined with C's value.
"""

from __future__ import annotations

from ..tir import (
    Add,
    Buffer,
    BufferLoad,
    BufferStore,
    Cast,
    Evaluate,
    FloatImm,
    For,
    IfThenElse,
    IntImm,
    Max,
    Min,
    Mul,
    SeqStmt,
    Stmt,
    collect,
    transform,
)
from ..tir.functor import used_vars
from ..tir.structural import structural_equal
from .c_expr import CodegenError
from .lowered import Allocate

COMBINERS = (Add, Mul, Max, Min)


class AllReduce(Stmt):
    """acc[0] <- op over the threads along `tag` (extent threads) of acc[0]; then `store`
    (C[idx] = acc[0], or C[idx] op acc[0]) by one thread (every thread when C is local)."""

    __slots__ = ("acc", "op", "tag", "extent", "store")
    _fields = ("acc", "op", "tag", "extent", "store")

    def __init__(self, acc, op, tag, extent, store):
        self.acc = acc
        self.op = op
        self.tag = tag
        self.extent = extent
        self.store = store

    def __repr__(self):
        return f"AllReduce({self.acc.name}, {self.op.__name__}, {self.tag})"


def _same(a, b) -> bool:
    return len(a) == len(b) and all(structural_equal(x, y) for x, y in zip(a, b))


def _strip(e):
    while isinstance(e, Cast) and e.dtype == e.value.dtype:
        e = e.value
    return e


def _combiner(store: BufferStore):
    """The binary op combining C[idx] with the new value, or None if the store is no update."""
    found = []

    def fn(n):
        if type(n) in COMBINERS:
            for side in (n.a, n.b):
                side = _strip(side)
                if isinstance(side, BufferLoad) and side.buffer is store.buffer and _same(side.indices, store.indices):
                    found.append(type(n))
        return None

    from ..tir import pre_order_visit

    pre_order_visit(store.value, fn)
    return found[0] if found else None


def _is_identity(op, value, dtype) -> bool:
    value = _strip(value)
    if not isinstance(value, (IntImm, FloatImm)):
        return False
    return value.value == _identity_of(op, dtype).value


def _find(kernel, func_name):
    """[(L, store, op, tag, extent)] for every cross-thread reduction update in `kernel`."""
    out = []
    private = {}  # id(buffer) -> the loops around a per-thread buffer's allocation

    def walk(s, path):
        if isinstance(s, For):
            walk(s.body, path + [s])
        elif isinstance(s, (SeqStmt,)):
            for x in s.seq:
                walk(x, path)
        elif isinstance(s, IfThenElse):
            walk(s.then_case, path)
            if s.else_case is not None:
                walk(s.else_case, path)
        elif isinstance(s, Allocate):
            if s.buffer.scope != "shared":  # inside a kernel: one copy per thread of the loops around
                private[id(s.buffer)] = {id(f) for f in path}
            walk(s.body, path)
        elif isinstance(s, BufferStore):
            idx_vars = set()
            for i in s.indices:
                idx_vars |= used_vars(i)
            own = private.get(id(s.buffer), ())  # each thread of these loops has its own copy
            bound = [f for f in path if f.kind == "thread_binding" and f.thread_tag.startswith("threadIdx")
                     and id(f.loop_var) not in idx_vars and id(f) not in own
                     and not (isinstance(f.extent, IntImm) and f.extent.value == 1)]
            op = _combiner(s)
            if not bound or op is None:
                return
            k = len(path)
            while k > 0 and id(path[k - 1].loop_var) not in idx_vars:
                k -= 1
            suffix = path[k:]
            tags = {f.thread_tag for f in bound}
            if len(tags) != 1:
                raise CodegenError(
                    f"function {func_name!r}: buffer {s.buffer.name!r} is reduced across several thread "
                    f"axes {sorted(tags)}; bind the reduction to one axis")
            if any(b not in suffix for b in bound):
                raise CodegenError(
                    f"function {func_name!r}: the reduction into {s.buffer.name!r} over "
                    f"{bound[0].thread_tag} is not innermost (a loop its indices use lies inside it)")
            (tag,) = tags
            if any(f.thread_tag == tag for f in path[:k] if f.kind == "thread_binding"):
                raise CodegenError(
                    f"function {func_name!r}: {tag} is bound both to a spatial loop and to a reduction "
                    f"loop of {s.buffer.name!r}")
            out.append((suffix[0], s, op, tag, bound[0].extent))

    walk(kernel, [])
    return out


def rewrite_cross_thread(kernel, func_name: str):
    """The kernel with each cross-thread reduction nest rewritten (see the module docstring)."""
    found = _find(kernel, func_name)
    if not found:
        return kernel
    by_loop = {}
    for L, store, op, tag, extent in found:
        if id(L) in by_loop:
            raise CodegenError(
                f"function {func_name!r}: loop {L.loop_var.name!r} carries more than one cross-thread reduction")
        by_loop[id(L)] = (L, store, op, tag, extent)

    def pre(n):
        if isinstance(n, For) and id(n) in by_loop:
            return _rewrite_nest(*by_loop[id(n)], func_name)
        return None

    return transform(kernel, pre=pre)


def _rewrite_nest(L, store, op, tag, extent, func_name):
    C, idx = store.buffer, store.indices
    if not isinstance(extent, IntImm):
        raise CodegenError(f"function {func_name!r}: the {tag} loop reducing {C.name!r} has no constant extent")
    acc = Buffer(f"{C.name}_red", [1], C.dtype, "local")
    zero = [IntImm(0, "int64")]
    inits = []

    def is_target(n):
        return n.buffer is C and _same(n.indices, idx)

    def pre(n):
        if isinstance(n, IfThenElse) and isinstance(n.then_case, BufferStore) and n.else_case is None:
            s = n.then_case
            if is_target(s) and not any(is_target(ld) for ld in collect(s.value, BufferLoad)):
                inits.append(s.value)
                return Evaluate(IntImm(0))
        return None

    def post(n):
        if isinstance(n, BufferLoad) and is_target(n):
            return BufferLoad(acc, zero)
        if isinstance(n, BufferStore) and is_target(n):
            return BufferStore(acc, n.value, zero)
        return None

    body = transform(transform(L, pre=pre), post=post)
    others = [s for s in collect(body, BufferStore) if s.buffer is not acc and s.buffer.scope != "local"]
    if others:
        raise CodegenError(
            f"function {func_name!r}: the cross-thread reduction nest of {C.name!r} also writes "
            f"{others[0].buffer.name!r}; move that block out of the reduction loops")
    if len(inits) > 1:
        raise CodegenError(f"function {func_name!r}: reduction into {C.name!r} has several init stores")
    for v in inits:
        if not _is_identity(op, v, C.dtype):
            raise CodegenError(
                f"function {func_name!r}: reduction into {C.name!r} starts from {v!r}, not the identity "
                f"of {op.__name__}; a cross-thread reduction needs an identity init")
    identity = _identity_of(op, C.dtype)
    if inits:
        result = BufferStore(C, BufferLoad(acc, zero), idx)
    else:
        result = BufferStore(C, op(BufferLoad(C, idx), BufferLoad(acc, zero)), idx)
    return Allocate(acc, SeqStmt([BufferStore(acc, identity, zero), body,
                                  AllReduce(acc, op, tag, extent, result)]))


def _identity_of(op, dtype):
    from ..tir import const, max_value, min_value

    if op is Add:
        return const(0, dtype)
    if op is Mul:
        return const(1, dtype)
    return min_value(dtype) if op is Max else max_value(dtype)
