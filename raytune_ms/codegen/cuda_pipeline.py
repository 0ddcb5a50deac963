"""Software pipelining of a lowered CUDA kernel (the reference's software_pipeline_* loop
annotations; the schedule side is schedule_rule/software_pipeline.py).

A loop `for k in [lo, lo + K)` annotated `software_pipeline_stage` (one stage per statement of
its body, e.g. [0, 0, 1]: the shared-memory fetches of A and B, then the compute that reads
them), `software_pipeline_order` (the statements' order within one step) and optionally
`software_pipeline_async_stages` runs as time steps t = 0 .. K + M - 1 (M the largest stage): at
step t, statement i runs iteration t - stage_i when that is in [0, K). Steps 0 .. M-1 are the
prologue, M .. K-1 the steady state (a loop, every statement active) and K .. K+M-1 the
epilogue; prologue and epilogue steps are written out with their inactive statements left out.

A buffer allocated in the loop body, written by one statement and read by a later stage, gets
one copy per iteration in flight (a leading dimension of max(reader stage - writer stage) + 1,
indexed by the iteration modulo that), so a fetch for iteration k + 1 can land while the
compute reads iteration k. A statement of an async stage is an `AsyncCopy`: its contiguous
4/8/16-byte copies into shared memory become `cp.async` (cuda.py; a padded fetch's select with
zero its zero-filling form), and after the async
statements of each step one group is committed (`AsyncCommit`, even an empty one, so that
counting groups counts steps); a reader first waits until its iteration's group has landed
(`AsyncWait(n)`: at most n newer groups pending) and then `Barrier`s, so every thread's copies
are visible. The readers of the previous step's copies are ordered before an overwrite by the
usual `__syncthreads()` before a statement that writes shared memory.

A statement order that would read an iteration before it is written, or a buffer from outside
the loop shared by statements of different stages (it would need copies per iteration too), is
a CodegenError naming the loop; so is an async statement that writes anything but a
multi-buffered shared buffer. A loop without a constant extent is left as it is (pipelining is
a performance hint).
"""

from __future__ import annotations

from ..tir import Buffer, BufferLoad, BufferStore, For, IntImm, SeqStmt, Stmt, Var, collect, floormod, seq, transform
from ..tir.arith import simplify
from ..tir.functor import substitute
from .c_expr import CodegenError
from .lowered import Allocate

STAGE_KEY = "software_pipeline_stage"
ORDER_KEY = "software_pipeline_order"
ASYNC_KEY = "software_pipeline_async_stages"
PIPELINE_KEYS = (STAGE_KEY, ORDER_KEY, ASYNC_KEY)


class AsyncCopy(Stmt):
    """`body`'s copies into shared memory are issued asynchronously (cp.async); they are
    complete only after the AsyncWait that covers their group."""

    __slots__ = ("body",)
    _fields = ("body",)

    def __init__(self, body):
        self.body = body


class AsyncCommit(Stmt):
    """Close the group of the async copies issued since the last commit (cp.async.commit_group)."""

    __slots__ = ()
    _fields = ()


class AsyncWait(Stmt):
    """Wait until at most `pending` committed groups are outstanding (cp.async.wait_group)."""

    __slots__ = ("pending",)
    _fields = ("pending",)

    def __init__(self, pending: int):
        self.pending = int(pending)


class Barrier(Stmt):
    """__syncthreads(): after an AsyncWait, every thread's copies are visible to all."""

    __slots__ = ()
    _fields = ()


def inject_software_pipeline(kernel, fname: str):
    """`kernel` with every annotated loop pipelined (innermost first)."""
    if not any(f.annotation(STAGE_KEY) is not None for f in collect(kernel, For)):
        return kernel

    def post(n):
        if isinstance(n, For) and n.annotation(STAGE_KEY) is not None:
            return _pipeline(n, fname)
        if isinstance(n, SeqStmt) and any(isinstance(x, SeqStmt) for x in n.seq):
            return seq(*n.seq)  # a pipeline in a sequence: one sequence, for cuda.py's syncs
        return None

    return transform(kernel, post=post)


def _accesses(stmt):
    """(ids of buffers `stmt` stores to, ids of buffers it loads)."""
    return ({id(s.buffer) for s in collect(stmt, BufferStore)}, {id(ld.buffer) for ld in collect(stmt, BufferLoad)})


def _ints(value, what, where):
    try:
        return [int(getattr(x, "value", x)) for x in value]
    except (TypeError, ValueError):
        raise CodegenError(f"{where}: annotation {what} must be a list of ints, got {value!r}") from None


def _pipeline(f: For, fname: str):
    where = f"function {fname!r}: pipelined loop {f.loop_var.name!r}"
    stages = _ints(f.annotation(STAGE_KEY), STAGE_KEY, where)
    order = _ints(f.annotation(ORDER_KEY, tuple(range(len(stages)))), ORDER_KEY, where)
    async_stages = set(_ints(f.annotation(ASYNC_KEY, ()), ASYNC_KEY, where))
    anns = tuple((k, v) for k, v in f.annotations if k not in PIPELINE_KEYS)
    if not isinstance(f.extent, IntImm):
        return f.replace(annotations=anns)
    body, allocs = f.body, []
    while isinstance(body, Allocate):
        allocs.append(body.buffer)
        body = body.body
    children = list(body.seq) if isinstance(body, SeqStmt) else [body]
    n = len(children)
    if len(stages) != n or len(order) != n or sorted(order) != list(range(n)) or min(stages) < 0:
        raise CodegenError(f"{where}: {n} statements in its body, but stages {stages} and order {order} (one "
                           "non-negative stage per statement, the order a permutation of 0..n-1)")
    acc = [_accesses(c) for c in children]
    local = {id(b) for b in allocs}
    versions = {}
    for b in allocs:
        versions[id(b)] = 1
        writers = [i for i in range(n) if id(b) in acc[i][0]]
        readers = [j for j in range(n) if id(b) in acc[j][1]]
        for w in writers:
            for r in readers:
                if r == w:
                    continue
                if stages[r] < stages[w] or (stages[r] == stages[w] and order[r] < order[w]):
                    raise CodegenError(f"{where}: statement {r} reads {b.name!r} before statement {w} of the same "
                                       f"iteration writes it (stages {stages}, order {order})")
                versions[id(b)] = max(versions[id(b)], stages[r] - stages[w] + 1)
    for i in range(n):
        for j in range(n):
            if stages[i] != stages[j]:
                shared = acc[i][0] & (acc[j][0] | acc[j][1]) - local
                if shared:
                    raise CodegenError(f"{where}: statements {i} and {j} of stages {stages[i]} and {stages[j]} share "
                                       "a buffer allocated outside the loop; allocate it in the loop body")
    async_children = [i for i in range(n) if stages[i] in async_stages]
    for i in async_children:
        bad = [s.buffer.name for s in collect(children[i], BufferStore)
               if id(s.buffer) not in local or s.buffer.scope != "shared" or versions[id(s.buffer)] < 2]
        if bad:
            raise CodegenError(f"{where}: async stage {stages[i]} writes {sorted(set(bad))}; an async statement may "
                               "only write shared buffers read by a later stage")
    new_bufs = {}
    for b in allocs:
        v = versions[id(b)]
        if v > 1:
            strides = (b.alloc_size(),) + b.strides if b.strides else ()
            new_bufs[id(b)] = (Buffer(b.name, (v,) + b.shape, b.dtype, b.scope, strides), v)
    waits = {}  # reader -> [(async writer)]
    for j in range(n):
        waits[j] = [i for i in async_children if i != j and acc[i][0] & acc[j][1]]
    plan = _Plan(f, where, children, stages, order, async_children, waits, new_bufs)
    extent, depth = f.extent.value, max(stages)
    dt = f.loop_var.dtype
    steps = [plan.step(IntImm(t, dt), static=True) for t in range(depth)]  # the prologue, even past a short loop
    if extent > depth:
        t = Var(f"{f.loop_var.name}_pipe", f.loop_var.dtype)
        steps.append(For(t, IntImm(depth, dt), IntImm(extent - depth, dt), f.kind, plan.step(t, static=False),
                         annotations=anns))
    steps += [plan.step(IntImm(t, dt), static=True) for t in range(max(depth, extent), extent + depth)]
    out = seq(*steps)
    for b in reversed(allocs):
        out = Allocate(new_bufs[id(b)][0] if id(b) in new_bufs else b, out)
    return out


class _Plan:
    def __init__(self, f, where, children, stages, order, async_children, waits, new_bufs):
        self.f, self.where, self.children, self.stages = f, where, children, stages
        self.ordered = sorted(range(len(children)), key=order.__getitem__)
        self.async_children, self.waits, self.new_bufs = set(async_children), waits, new_bufs
        self.last_async = max((order[i] for i in async_children), default=None)
        self.order = order

    def instance(self, i, t):
        """Statement i at step t: iteration t - stage_i, its buffers indexed by that iteration's copy."""
        f = self.f
        k = simplify(t - self.stages[i]) if self.stages[i] else t
        it = k if isinstance(f.min, IntImm) and f.min.value == 0 else f.min + k
        stmt = substitute(self.children[i], {f.loop_var: it})
        new = self.new_bufs

        def post(node):
            if isinstance(node, (BufferLoad, BufferStore)) and id(node.buffer) in new:
                buf, v = new[id(node.buffer)]
                slot = simplify(floormod(k, v))
                if isinstance(node, BufferLoad):
                    return BufferLoad(buf, (slot,) + node.indices)
                return BufferStore(buf, node.value, (slot,) + node.indices)
            return None

        stmt = transform(stmt, post=post) if new else stmt
        return AsyncCopy(stmt) if i in self.async_children else stmt

    def step(self, t, static):
        extent = self.f.extent.value
        parts, committed = [], False
        for i in self.ordered:
            active = not static or 0 <= t.value - self.stages[i] < extent
            if active and self.waits[i]:
                # the group of the iteration read was committed stage_i - stage_w steps ago
                behind = min(self.stages[i] - self.stages[w] - (0 if committed else 1) for w in self.waits[i])
                if behind < 0:
                    raise CodegenError(f"{self.where}: statement {i} reads an async copy of the same step before "
                                       "the step's copies are committed; order it after every async statement")
                parts += [AsyncWait(behind), Barrier()]
            if active:
                parts.append(self.instance(i, t))
            if self.last_async is not None and self.order[i] == self.last_async:
                parts.append(AsyncCommit())
                committed = True
        return seq(*parts)


#: device helpers of AsyncCopy/AsyncCommit/AsyncWait (the CPU emulator defines its own): cp.async
#: on sm_80 and newer (.cg for 16 bytes, .ca for 4 and 8; with a src-size operand, the zero-filling
#: form for a padded fetch), plain copies and no-ops before it
CP_ASYNC_HELPERS = r"""
#ifndef RTMS_EMULATOR
template <int N> static __device__ __forceinline__ void rtms_cp_async(void* dst, const void* src) {
#if __CUDA_ARCH__ >= 800
  unsigned s = (unsigned)__cvta_generic_to_shared(dst);
  if (N == 16) asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" :: "r"(s), "l"(src) : "memory");
  else asm volatile("cp.async.ca.shared.global [%0], [%1], %2;\n" :: "r"(s), "l"(src), "n"(N) : "memory");
#else
  if (N == 16) *(int4*)dst = *(const int4*)src;
  else if (N == 8) *(int2*)dst = *(const int2*)src;
  else *(int*)dst = *(const int*)src;
#endif
}
// src-size 0 when !full: nothing is read from src (it may point outside its array), dst gets zeros
template <int N> static __device__ __forceinline__ void rtms_cp_async_zfill(void* dst, const void* src, bool full) {
#if __CUDA_ARCH__ >= 800
  unsigned s = (unsigned)__cvta_generic_to_shared(dst);
  int n = full ? N : 0;
  if (N == 16) asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" :: "r"(s), "l"(src), "r"(n) : "memory");
  else asm volatile("cp.async.ca.shared.global [%0], [%1], %2, %3;\n" :: "r"(s), "l"(src), "n"(N), "r"(n) : "memory");
#else
  if (full) rtms_cp_async<N>(dst, src);
  else for (int i = 0; i < N / 4; ++i) ((int*)dst)[i] = 0;
#endif
}
static __device__ __forceinline__ void rtms_cp_async_commit() {
#if __CUDA_ARCH__ >= 800
  asm volatile("cp.async.commit_group;\n" ::: "memory");
#endif
}
template <int N> static __device__ __forceinline__ void rtms_cp_async_wait() {
#if __CUDA_ARCH__ >= 800
  asm volatile("cp.async.wait_group %0;\n" :: "n"(N) : "memory");
#endif
}
#endif
"""
