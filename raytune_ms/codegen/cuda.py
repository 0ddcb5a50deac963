"""CUDA C generation: `codegen_cuda(func, target) -> CudaArtifact` (source and launch
configuration; builder/nvrtc.py compiles it).

The PrimFunc is lowered as for the C back end (lower.py: blocks to loops, allocations placed and
compacted; a `shared` buffer is compacted over the threads of a block, see compact.py) and
printed by the C emitter's statement and expression code with these differences:

- Each outermost thread-bound loop nest is one `__global__` kernel; the kernels run in order.
  A loop bound to blockIdx.*/threadIdx.* is no loop: its variable is the hardware index. The
  extents of the loops bound to one tag give the launch grid and block (they must agree).
  vthread.* loops run serially inside each thread, as virtual threads do.
- Unrolled loops (`unroll`, or below `pragma_auto_unroll_max_step`) and vthread loops are
  `#pragma unroll` loops: nvcc unrolls them (fully, for constant extents), so the per-thread
  arrays they index become registers. Copying the body once per value, as the C back end does,
  made sources up to 60x larger (700 KB) and codegen 16x slower on the suite's sampled
  candidates. Only inside a serial loop that fully unrolled is at most SMALL_SERIAL_LOOP
  statements are unrolled loops copied: nvcc unrolls such a loop by itself over straight-line
  code (a register tile it indexes stays in registers) but leaves it rolled over loops (the
  tile in local memory).
- Global buffers allocated outside the kernels are workspaces the runner allocates; `shared`
  buffers are `__shared__` arrays declared at the kernel's top (dynamic shared memory above
  48 KiB); `local` buffers (and global ones placed inside the thread loops) are per-thread arrays.
- `__syncthreads()` before and after every statement of a sequence that writes a shared buffer
  (a cooperative fetch): its readers wait for the writes, and the next overwrite waits for the
  readers of the previous iteration.
- A vectorized loop that copies a contiguous, aligned run (2/4 float32, or 4/8/16 bytes of any
  type) is one vector load and store (float4, int4, ...), also under a guard or through a
  select with zero (padding folded into a fetch) whose condition is the same for all lanes
  (codegen/affine.uniform_over_lanes); other vectorized loops are unrolled.
- Reductions over a threadIdx-bound loop become cross-thread reductions (cuda_reduce.py):
  warp shuffles (`__shfl_down_sync`) when the axis is threadIdx.x with a power-of-two extent,
  a second shuffle stage through shared memory beyond a warp, else a shared-memory tree.
- float16 is `__half` (cuda_fp16.h), computed in float like the C back end.
- Loops tensorized with a wmma intrinsic and "wmma.*" fragment buffers: cuda_wmma.py; with an
  mma.sync intrinsic and "m16n8k16.*" fragments (ldmatrix, per-lane registers): cuda_mma.py.
- Loops annotated `software_pipeline_stage`: multi-buffered prologue/steady state/epilogue
  (cuda_pipeline.py); their async statements' vector copies into shared memory are `cp.async`
  (a select with zero: cp.async's zero-filling form, src-size 0 where the condition fails),
  and such a statement is not followed by `__syncthreads()` (its readers wait, then sync).
Programs with blocks outside every thread-bound loop are rejected, naming the block.
"""

from __future__ import annotations

from ..tir import (
    BlockRealize,
    BufferLoad,
    BufferStore,
    Cast,
    FloatImm,
    For,
    IfThenElse,
    IntImm,
    PrimFunc,
    Range,
    Select,
    SeqStmt,
    collect,
)
from ..tir.arith import simplify
from ..tir.dtype import bytes_of
from ..tir.functor import used_vars
from ..tir.tensor_intrin import TENSORIZED_KEY, TensorIntrin
from ..tir.tensor_intrin.cuda_mma import MmaImpl
from . import cuda_mma, cuda_wmma
from .affine import build as affine_build
from .affine import is_multiple, split_lane, uniform_over_lanes
from .c import BufInfo, CEmitter, code_size, entry_symbol
from .c_expr import CodegenError, ExprPrinter, c_type, compute_type, dtype_code, float_literal
from .cuda_artifact import CudaArtifact, KernelLaunch
from .cuda_pipeline import CP_ASYNC_HELPERS, AsyncCommit, AsyncCopy, AsyncWait, Barrier, inject_software_pipeline
from .cuda_prelude import CUDA_PRELUDE, FP16_INCLUDE
from .cuda_reduce import AllReduce, rewrite_cross_thread
from .lower import lower
from .lowered import Allocate
from .names import comment

STATIC_SHARED_LIMIT = 48 << 10  # bytes of static __shared__ per block; above: dynamic shared memory
WARP = 32
SMALL_SERIAL_LOOP = 512  # statements (see the module docstring)
_DIMS = {"x": 0, "y": 1, "z": 2}
# identifiers CUDA gives a meaning to: user names never take them
_CUDA_NAMES = ("threadIdx blockIdx blockDim gridDim warpSize half half2 float2 float4 int2 int4 dim3 "
               "min max abs signbit isnan isinf rsqrtf rsqrt sqrt sqrtf exp expf").split()


class CudaExprPrinter(ExprPrinter):
    """The C printer with float16 as `__half`: rounding goes through `__float2half`."""

    def __call__(self, e):
        if type(e) is FloatImm and e.dtype == "float16":
            return f"__half2float(__float2half({float_literal(e.value, 'float32')}))"
        return super().__call__(e)

    def cast(self, e) -> str:
        if e.dtype == "float16":
            return f"__half2float(__float2half((float)({self(e.value)})))"
        return super().cast(e)


def check_bound(func: PrimFunc) -> None:
    """A CodegenError naming the first block that no thread-bound loop encloses."""

    def walk(s, bound):
        if isinstance(s, For):
            walk(s.body, bound or s.kind == "thread_binding")
        elif isinstance(s, BlockRealize):
            block = s.block
            inner = [b for b in collect(block.body, BlockRealize)]
            if not inner and not bound and block.name != "root":
                raise CodegenError(
                    f"function {func.name!r}: block {block.name!r} is not bound to any thread axis "
                    "(no enclosing loop is bound to blockIdx/threadIdx); bind its outer loops, e.g. "
                    "with raytune_ms.codegen.cuda_bind.bind_outer_loops")
            walk(block.body, bound)
        elif isinstance(s, SeqStmt):
            for x in s.seq:
                walk(x, bound)
        elif isinstance(s, IfThenElse):
            walk(s.then_case, bound)
            if s.else_case is not None:
                walk(s.else_case, bound)

    walk(func.body, False)


def _zero_constant(e) -> bool:
    """Whether `e` is the constant 0 (under casts): a padding select's other side."""
    while isinstance(e, Cast):
        e = e.value
    return isinstance(e, (IntImm, FloatImm)) and e.value == 0


def _ctype(dtype: str) -> str:
    return "__half" if dtype == "float16" else c_type(dtype)


class CudaEmitter(CEmitter):
    def __init__(self, func: PrimFunc, target, symbol: str):
        super().__init__(func, target, symbol)
        for name in _CUDA_NAMES:
            self.names.fresh(name)
        self.expr = CudaExprPrinter(self.var_name, self.scalar_load, self.ranges)
        self.kernels: list = []  # (text, KernelLaunch)
        self.workspaces: list = []  # Buffers
        self.uses_fp16 = False
        self.in_kernel = False
        self.thread_vars: set = set()  # ids of loop vars bound to threadIdx.* (in scope)
        self.divergent = 0  # enclosing conditions that depend on thread indices
        self.smem: list = []  # (cname, ctype, elems, bytes) of the current kernel
        self.launch: dict = {}
        self.uses_wmma = False
        self.uses_mma = False  # mma.sync fragments: cuda_mma.py's helpers
        self.fragments: dict = {}  # id(fragment buffer) -> (cname, shape), cuda_wmma.py
        self.copying = False  # in a small serial loop: unrolled loops are copied
        self.async_copy = False  # in an AsyncCopy: vector copies into shared memory are cp.async
        self.uses_cp_async = False

    # ------------------------------------------------------------------ buffers

    def scalar_load(self, load: BufferLoad) -> str:
        info = self.allocated(load.buffer, "read")
        text = self.ref(info, load.indices)
        return f"__half2float({text})" if info.dtype == "float16" else text

    def store(self, s: BufferStore) -> None:
        info = self.allocated(s.buffer, "written")
        value = self.expr(s.value)
        if info.dtype == "float16":
            value = f"__float2half({value})"
        self.line(f"{self.ref(info, s.indices)} = {value};")

    def allocate(self, a: Allocate) -> None:
        b = a.buffer
        if b.dtype == "float16":
            self.uses_fp16 = True
        if not self.in_kernel:
            raise CodegenError(
                f"function {self.func.name!r}: {b.scope} buffer {b.name!r} is allocated outside every "
                "kernel (only global buffers may live between kernels)")
        if b.scope == "shared":
            self.stmt(a.body)  # declared at the kernel's top
            return
        if cuda_wmma.is_fragment(b):
            return cuda_wmma.allocate(self, a)
        if cuda_mma.is_fragment(b):
            return cuda_mma.allocate(self, a)
        if b.scope == "global" and not self.thread_vars:
            raise CodegenError(
                f"function {self.func.name!r}: global buffer {b.name!r} is allocated inside a kernel "
                "but outside its threadIdx loops (it would be shared by the block's threads): give it "
                "the \"shared\" or \"local\" scope")
        name = self.names.get(b, b.name)
        self.line("{")
        self.depth += 1
        self.line(f"/* {b.scope} buffer {comment(b.name)} {list(b.shape)}: per thread */")
        self.line(f"{_ctype(b.dtype)} {name}[{b.alloc_size()}] __align__(16);")
        self.bufs[id(b)] = BufInfo(name, b.dense_strides(), b.dtype)
        self.stmt(a.body)
        del self.bufs[id(b)]
        self.depth -= 1
        self.line("}")

    def declare_shared(self, b) -> None:
        name = self.names.get(b, b.name)
        elems = b.alloc_size()
        what = f"{comment(b.name)} {list(b.shape)}"
        self.smem.append((name, _ctype(b.dtype), elems, elems * bytes_of(b.dtype), what))
        self.bufs[id(b)] = BufInfo(name, b.dense_strides(), b.dtype)

    def scratch(self, hint: str, dtype: str, elems: int) -> str:
        """A __shared__ array of the current kernel (for cross-thread reductions)."""
        name = self.names.fresh(hint)
        self.smem.append((name, compute_type(dtype) if dtype != "bool" else "int", elems,
                          elems * max(4, bytes_of(dtype)), "reduction scratch"))
        return name

    # ------------------------------------------------------------------ statements

    def stmt(self, s) -> None:
        if isinstance(s, SeqStmt) and self.in_kernel:
            synced = False
            for x in s.seq:
                if isinstance(x, Barrier):
                    self.sync()
                    synced = True
                    continue
                if isinstance(x, (AsyncCommit, AsyncWait)):
                    self.stmt(x)
                    continue
                writes = any(st.buffer.scope == "shared" for st in collect(x, BufferStore))
                if writes and not synced:
                    self.sync()
                    synced = True
                self.stmt(x)
                if isinstance(x, AsyncCopy):
                    continue  # issued, not landed: its readers wait and sync
                synced = False
                if writes:
                    self.sync()
                    synced = True
        elif isinstance(s, AsyncCopy):
            self.async_copy, outer = True, self.async_copy
            self.stmt(s.body)
            self.async_copy = outer
        elif isinstance(s, AsyncCommit):
            self.uses_cp_async = True
            self.line("rtms_cp_async_commit();")
        elif isinstance(s, AsyncWait):
            self.uses_cp_async = True
            self.line(f"rtms_cp_async_wait<{s.pending}>();")
        elif isinstance(s, Barrier):
            self.sync()
        elif isinstance(s, IfThenElse) and self.in_kernel and self.thread_dependent(s.condition):
            self.divergent += 1
            super().stmt(s)
            self.divergent -= 1
        elif isinstance(s, AllReduce):
            self.all_reduce(s)
        else:
            super().stmt(s)

    def thread_dependent(self, e) -> bool:
        return bool(self.thread_vars & used_vars(e))

    def sync(self) -> None:
        if self.divergent:
            raise CodegenError(
                f"function {self.func.name!r}: __syncthreads() is needed under a condition on thread "
                "indices (the threads of a block would not all reach it); make the shared-memory "
                "fetch unconditional")
        if not (self.lines and self.lines[-1].strip() == "__syncthreads();"):  # (back to back: one is enough)
            self.line("__syncthreads();")

    # ------------------------------------------------------------------ loops

    def loop(self, f: For) -> None:
        intrin = f.annotation(TENSORIZED_KEY)
        if intrin is not None:
            impl = TensorIntrin.get(intrin).impl
            if isinstance(impl, MmaImpl):
                return cuda_mma.emit(self, f, intrin, impl)
            return cuda_wmma.emit(self, f, intrin)
        if f.kind == "thread_binding":
            if f.thread_tag.startswith("vthread"):
                return self.for_loop(f, pragma="#pragma unroll")
            return self.bound(f)
        if f.kind == "parallel":
            raise CodegenError(
                f"function {self.func.name!r}: loop {f.loop_var.name!r} is parallel; on CUDA bind it "
                "to blockIdx/threadIdx instead")
        if (not self.copying and f.kind == "serial" and isinstance(f.extent, IntImm) and f.extent.value > 1
                and f.extent.value * code_size(f.body) <= SMALL_SERIAL_LOOP):
            self.copying = True
            super().loop(f)
            self.copying = False
            return None
        return super().loop(f)

    def unrolled(self, f: For) -> None:
        if self.copying:
            return super().unrolled(f)
        self.for_loop(f, pragma="#pragma unroll")

    def for_loop(self, f: For, pragma=None, parallel=False, body=None) -> None:
        if pragma and pragma.startswith("#pragma GCC unroll"):
            pragma = "#pragma unroll"
        super().for_loop(f, pragma, parallel, body)

    def bound(self, f: For) -> None:
        v = self.names.get(f.loop_var, f.loop_var.name)
        index = f"(int64_t){f.thread_tag}"
        lo = None if isinstance(f.min, IntImm) and f.min.value == 0 else self.expr(f.min)
        self.line("{")
        self.depth += 1
        self.line(f"const int64_t {v} = {index if lo is None else f'{lo} + {index}'};")
        self.ranges[f.loop_var] = Range(f.min, f.extent)
        threads = f.thread_tag.startswith("threadIdx")
        if threads:
            self.thread_vars.add(id(f.loop_var))
        self.stmt(f.body)
        if threads:
            self.thread_vars.discard(id(f.loop_var))
        del self.ranges[f.loop_var]
        self.depth -= 1
        self.line("}")

    def vectorized(self, f: For) -> None:
        if not self.vector_copy(f):
            self.for_loop(f, pragma="#pragma unroll")

    def vector_copy(self, f: For) -> bool:
        """One vector load/store for a contiguous aligned copy; False when the loop is not one.
        A copy under a guard (a cooperative fetch with more lanes than elements) or through a
        select with zero (padding folded into a fetch) is one too when the condition is the
        same for all its lanes: the vector under the guard, the vector or zeros for the select."""
        if not (isinstance(f.extent, IntImm) and isinstance(f.min, IntImm) and f.min.value == 0):
            return False
        s, lanes, guard, select = f.body, f.extent.value, None, None
        if isinstance(s, IfThenElse) and s.else_case is None:
            guard, s = uniform_over_lanes(s.condition, f.loop_var, lanes), s.then_case
            if guard is None:
                return False
        if not isinstance(s, BufferStore):
            return False
        value = s.value
        if isinstance(value, Select) and _zero_constant(value.false_value):
            select, value = uniform_over_lanes(value.condition, f.loop_var, lanes), value.true_value
            if select is None:
                return False
        if not isinstance(value, BufferLoad):
            return False
        dst, src = self.allocated(s.buffer, "written"), self.allocated(value.buffer, "read")
        if dst.dtype != src.dtype:
            return False
        nbytes = lanes * bytes_of(dst.dtype)
        vt = {("float32", 2): "float2", ("float32", 4): "float4"}.get((dst.dtype, lanes)) or {
            4: "int", 8: "int2", 16: "int4"}.get(nbytes)
        if vt is None or (nbytes == 4 and lanes == 1):
            return False
        self.ranges[f.loop_var] = Range(0, lanes)
        try:
            bases = []
            for info, indices in ((dst, s.indices), (src, value.indices)):
                parts = split_lane(self.flat_index(info, indices), f.loop_var)
                if parts is None or parts[0] != 1 or not is_multiple(parts[1], lanes):
                    return False
                bases.append(self.expr(simplify(affine_build(*parts[1]), self.ranges)))
        finally:
            del self.ranges[f.loop_var]
        to, fro = f"&{dst.cname}[{bases[0]}]", f"&{src.cname}[{bases[1]}]"
        cond = None if select is None else self.expr(simplify(select, self.ranges))
        if guard is not None:
            self.line(f"if ({self.expr(simplify(guard, self.ranges))}) {{")
            self.depth += 1
        if self.async_copy and s.buffer.scope == "shared" and value.buffer.scope == "global":
            self.uses_cp_async = True
            if cond is None:
                self.line(f"rtms_cp_async<{nbytes}>({to}, {fro});")
            else:  # src-size 0 where the condition fails: cp.async fills zeros, reads nothing
                self.line(f"rtms_cp_async_zfill<{nbytes}>({to}, {fro}, {cond});")
        else:
            self.line(f"/* vectorized {comment(f.loop_var.name)}: {lanes} lanes as {vt} */")
            load = f"*(const {vt}*)({fro})"
            self.line(f"*({vt}*)({to}) = {load if cond is None else f'({cond}) ? {load} : {vt}{{}}'};")
        if guard is not None:
            self.depth -= 1
            self.line("}")
        return True

    # ------------------------------------------------------------------ cross-thread reduction

    def combine(self, op, dtype, a, b) -> str:
        from ..tir import Add, Max, Mul

        if op is Add:
            return f"({a} + {b})"
        if op is Mul:
            return f"({a} * {b})"
        return f"rtms_{'max' if op is Max else 'min'}_{dtype_code(dtype)}({a}, {b})"

    def all_reduce(self, r: AllReduce) -> None:
        self.sync_check_uniform()
        dim = _DIMS[r.tag[-1]]
        n = r.extent.value
        block = self.launch["block"]
        ty = compute_type(r.acc.dtype)
        acc = self.ref(self.allocated(r.acc, "written"), [IntImm(0, "int64")])
        load = self.scalar_load(BufferLoad(r.acc, [IntImm(0, "int64")]))
        op = lambda a, b: self.combine(r.op, r.acc.dtype, a, b)  # noqa: E731
        ident = self.expr(_ident(r))
        self.line(f"/* cross-thread {r.op.__name__} over {r.tag} ({n} threads) */")
        self.line("{")
        self.depth += 1
        self.line(f"{ty} rtms_v = {load};")
        pow2 = n & (n - 1) == 0
        total = block[0] * block[1] * block[2]
        full_warps = total % WARP == 0 or total < WARP  # every lane the mask names exists
        mask = "0xffffffffu" if total >= WARP else f"{hex((1 << total) - 1)}u"
        if dim == 0 and pow2 and (n <= WARP or n % WARP == 0) and full_warps:
            width = min(n, WARP)
            off = width // 2
            while off:
                self.line(f"rtms_v = {op('rtms_v', f'__shfl_down_sync({mask}, rtms_v, {off}, {width})')};")
                off //= 2
            if n > WARP:
                nw = n // WARP
                red = self.scratch("red_warp", r.acc.dtype, nw * block[1] * block[2])
                group = f"((int)threadIdx.y + {block[1]} * (int)threadIdx.z) * {nw}"
                self.sync()
                self.line(f"if (threadIdx.x % {WARP} == 0) {red}[{group} + threadIdx.x / {WARP}] = rtms_v;")
                self.sync()
                self.line(f"rtms_v = threadIdx.x < {nw} ? {red}[{group} + threadIdx.x] : {ident};")
                off = WARP // 2
                while off:
                    self.line(f"rtms_v = {op('rtms_v', f'__shfl_down_sync({mask}, rtms_v, {off}, {WARP})')};")
                    off //= 2
                self.sync()
                self.line(f"if (threadIdx.x == 0) {red}[{group}] = rtms_v;")
                self.sync()
                self.line(f"rtms_v = {red}[{group}];")
            else:
                self.line(f"rtms_v = __shfl_sync({mask}, rtms_v, 0, {width});")
        else:
            red = self.scratch("red_buf", r.acc.dtype, total)
            stride = 1 if dim == 0 else block[0] if dim == 1 else block[0] * block[1]
            tid = f"((int)threadIdx.x + {block[0]} * ((int)threadIdx.y + {block[1]} * (int)threadIdx.z))"
            me = f"(int)threadIdx.{r.tag[-1]}"
            p = 1
            while p < n:
                p *= 2
            self.sync()
            self.line(f"{red}[{tid}] = rtms_v;")
            self.sync()
            s = p // 2
            while s:
                self.line(f"if ({me} < {s} && {me} + {s} < {n}) "
                          f"{red}[{tid}] = {op(f'{red}[{tid}]', f'{red}[{tid} + {s * stride}]')};")
                self.sync()
                s //= 2
            self.line(f"rtms_v = {red}[{tid} - {me} * {stride}];")
        value = "__float2half(rtms_v)" if r.acc.dtype == "float16" else "rtms_v"
        self.line(f"{acc} = {value};")
        self.depth -= 1
        self.line("}")
        if r.store.buffer.scope == "local":
            self.store(r.store)
        else:
            self.line(f"if (threadIdx.{r.tag[-1]} == 0) {{")
            self.block(r.store)
            self.line("}")
            if r.store.buffer.scope == "shared":
                self.sync()

    def sync_check_uniform(self) -> None:
        if self.divergent:
            self.sync()  # raises the error

    # ------------------------------------------------------------------ kernels

    def host(self, s) -> None:
        if isinstance(s, SeqStmt):
            for x in s.seq:
                self.host(x)
        elif isinstance(s, Allocate):
            b = s.buffer
            if b.scope != "global":
                raise CodegenError(
                    f"function {self.func.name!r}: {b.scope} buffer {b.name!r} is allocated outside every "
                    "kernel (bind the loops around its uses to blockIdx/threadIdx)")
            self.uses_fp16 |= b.dtype == "float16"
            self.workspaces.append(b)
            self.bufs[id(b)] = BufInfo(self.names.get(b, b.name), b.dense_strides(), b.dtype)
            self.host(s.body)
        elif isinstance(s, For) and s.kind == "thread_binding":
            self.kernel(s)
        elif isinstance(s, For) and isinstance(s.extent, IntImm) and s.extent.value == 1 and isinstance(s.min, IntImm):
            self.values[s.loop_var] = s.min.value
            self.ranges[s.loop_var] = Range(s.min, 1)
            self.host(s.body)
            del self.values[s.loop_var], self.ranges[s.loop_var]
        elif isinstance(s, For):
            raise CodegenError(
                f"function {self.func.name!r}: loop {s.loop_var.name!r} ({s.kind}) lies outside every "
                "thread-bound loop: a kernel's outermost loops must be bound to blockIdx/threadIdx")
        else:
            raise CodegenError(
                f"function {self.func.name!r}: a {type(s).__name__} lies outside every kernel "
                "(bind the enclosing loops to blockIdx/threadIdx)")

    def launch_of(self, k: For) -> dict:
        extents: dict = {}
        for f in [k] + collect(k.body, For):
            if f.kind != "thread_binding":
                continue
            if not isinstance(f.extent, IntImm):
                raise CodegenError(
                    f"function {self.func.name!r}: loop {f.loop_var.name!r} bound to {f.thread_tag} has "
                    f"no constant extent ({f.extent!r})")
            prev = extents.setdefault(f.thread_tag, (f.extent.value, f.loop_var.name))
            if prev[0] != f.extent.value and not f.thread_tag.startswith("vthread"):
                raise CodegenError(
                    f"function {self.func.name!r}: loops {prev[1]!r} and {f.loop_var.name!r} are both bound "
                    f"to {f.thread_tag} with different extents ({prev[0]} and {f.extent.value})")
            if f.thread_tag.startswith("vthread"):
                extents[f.thread_tag] = (max(prev[0], f.extent.value), prev[1])
        get = lambda tag: extents.get(tag, (1,))[0]  # noqa: E731
        vth = 1
        for d in "xyz":
            vth *= get(f"vthread.{d}")
        return {"grid": tuple(get(f"blockIdx.{d}") for d in "xyz"),
                "block": tuple(get(f"threadIdx.{d}") for d in "xyz"), "vthreads": vth}

    def kernel(self, k: For) -> None:
        k = inject_software_pipeline(rewrite_cross_thread(k, self.func.name), self.func.name)
        name = f"{self.symbol}_kernel{len(self.kernels)}"
        self.launch = self.launch_of(k)
        self.lines, self.smem, self.depth = [], [], 1
        for a in collect(k, Allocate):
            if a.buffer.scope == "shared":
                self.declare_shared(a.buffer)
        self.in_kernel = True
        self.stmt(k)
        self.in_kernel = False
        body = self.lines
        args, sig = [], []
        for i, p in enumerate(self.func.params):
            args.append(("param", i))
            sig.append(f"{_ctype(p.dtype)}* __restrict__ {self.bufs[id(p)].cname}")
        for j, w in enumerate(self.workspaces):
            args.append(("workspace", j))
            sig.append(f"{_ctype(w.dtype)}* __restrict__ {self.bufs[id(w)].cname}")
        total = sum(m[3] for m in self.smem)
        dynamic = total > STATIC_SHARED_LIMIT
        decls, offset = [], 0
        if dynamic:
            decls.append("  extern __shared__ __align__(32) unsigned char rtms_dyn_smem[];")
        for cname, ctype, elems, nbytes, what in self.smem:
            decls.append(f"  /* shared buffer {what} */")
            if dynamic:
                decls.append(f"  {ctype}* {cname} = ({ctype}*)(rtms_dyn_smem + {offset});")
                offset += (nbytes + 31) // 32 * 32  # 32 bytes: wmma tiles need 256-bit alignment
            else:
                decls.append(f"  __shared__ __align__(32) {ctype} {cname}[{elems}];")
        threads = self.launch["block"][0] * self.launch["block"][1] * self.launch["block"][2]
        head = [f'extern "C" __global__ void __launch_bounds__({threads}) {name}({", ".join(sig)}) {{']
        text = "\n".join(head + decls + body + ["}"])
        launch = KernelLaunch(name, self.launch["grid"], self.launch["block"], args,
                              dyn_shared_bytes=offset if dynamic else 0,
                              static_shared_bytes=0 if dynamic else total, vthreads=self.launch["vthreads"])
        self.kernels.append((text, launch))
        for a in collect(k, Allocate):
            if a.buffer.scope == "shared":
                del self.bufs[id(a.buffer)]

    def program(self, lowered) -> None:
        for p in lowered.params:
            self.uses_fp16 |= p.dtype == "float16"
            self.bufs[id(p)] = BufInfo(self.names.get(p, p.name), p.dense_strides(), p.dtype)
        self.host(lowered.body)
        if not self.kernels:
            raise CodegenError(f"function {self.func.name!r} has no kernel (no thread-bound loop)")


def _ident(r: AllReduce):
    from .cuda_reduce import _identity_of

    return _identity_of(r.op, r.acc.dtype)


def codegen_cuda(func: PrimFunc, target=None, symbol: str | None = None) -> CudaArtifact:
    """The CUDA C source and launch configuration of `func` for a CUDA `target` (the artifact's
    image is empty until builder/nvrtc.py compiles it)."""
    from ..target import Target

    target = Target(target if target is not None else "cuda")
    if target.kind != "cuda":
        raise ValueError(f"codegen_cuda generates CUDA code; target {str(target)!r} is not a CUDA target")
    if not isinstance(func, PrimFunc):
        raise TypeError(f"codegen_cuda expects a PrimFunc, got {type(func).__name__}")
    check_bound(func)
    symbol = entry_symbol(symbol or func.name)
    em = CudaEmitter(func, target, symbol)
    em.program(lower(func))
    header = f"/* generated by raytune_ms for function {comment(func.name)}, target {comment(str(target))} */"
    parts = [header] + ([FP16_INCLUDE] if em.uses_fp16 else []) + ([cuda_wmma.MMA_INCLUDE] if em.uses_wmma else [])
    parts += [CUDA_PRELUDE] + ([CP_ASYNC_HELPERS] if em.uses_cp_async else [])
    parts += ([cuda_mma.MMA_HELPERS] if em.uses_mma else []) + [t for t, _ in em.kernels] + [""]
    return CudaArtifact(
        func_name=func.name,
        params=[(b.name, tuple(b.shape), b.dtype) for b in func.params],
        workspaces=[(w.name, w.alloc_size() * bytes_of(w.dtype)) for w in em.workspaces],
        kernels=[launch for _, launch in em.kernels],
        source="\n".join(parts),
        arch=target.arch,
    )
