"""C code generation for CPU targets: `codegen_c(func, target) -> str`.

The PrimFunc is lowered (blocks to loops, allocations placed and compacted, see lower.py and
compact.py) and printed as one exported function `int32_t <sym>(void** args)` plus a timing
harness `<sym>_time` (see prelude.py). Loop kinds:

- serial: a C for loop; thread_binding on a CPU: a serial loop with a comment.
- parallel: `#pragma omp parallel for` on the outermost parallel loop only (parallel loops
  nested in it run serially), with num_threads from the target.
- unrolled: fully unrolled (one copy of the body per value, the loop variable replaced by the
  value) when the extent and body are modest, else `#pragma GCC unroll`.
- vectorized: real SIMD with GCC vector extensions where the body allows (see vector.py),
  else a scalar loop under `#pragma omp simd` (a plain loop when it reduces into one element).

Buffers: parameters are `T* restrict` pointers; intermediate buffers are heap-allocated
(64-byte aligned) where they are placed, or C arrays on the stack when they are small and
placed inside a loop or have local/shared scope, so register tiles stay in registers.
"""

from __future__ import annotations

from ..tir import (
    BufferLoad,
    BufferStore,
    Evaluate,
    For,
    IfThenElse,
    IntImm,
    PrimFunc,
    Range,
    SeqStmt,
    cast,
    collect,
    substitute,
)
from ..tir.arith import simplify
from ..tir.dtype import bytes_of
from .c_expr import CodegenError, ExprPrinter, c_type
from .libc_names import LIBC_FUNCTIONS
from .lower import IMPLICIT_UNROLL, lower
from .lowered import Allocate
from .names import NameTable, comment, is_reserved, sanitize
from .prelude import PRELUDE, harness
from .vector import emit_vectorized, typedefs, vec_lanes, vtype

STACK_LIMIT_LOCAL = 256 << 10  # bytes: local/shared buffers larger than this go to the heap
STACK_LIMIT_GLOBAL = 64 << 10  # bytes: a global buffer placed inside a loop, if this small
UNROLL_MAX_EXTENT = 64
UNROLL_MAX_SIZE = 2048  # emitted statements after full unrolling


class BufInfo:
    """How the generated code addresses a buffer."""

    __slots__ = ("cname", "strides", "dtype", "kind", "lanes")

    def __init__(self, cname, strides, dtype, kind="ptr", lanes=1):
        self.cname = cname
        self.strides = strides
        self.dtype = dtype
        self.kind = kind  # "ptr" (pointer or scalar array) or "vec" (array of lane vectors)
        self.lanes = lanes


def entry_symbol(name: str) -> str:
    """The exported C symbol for a function named `name`."""
    ident = sanitize(name)
    return "fn_" + ident if is_reserved(ident) or ident in LIBC_FUNCTIONS else ident


def code_size(s) -> int:
    """Statements the emitter writes for `s` (unrolled loops multiplied out)."""
    if isinstance(s, For):
        inner = code_size(s.body)
        if s.kind == "unrolled" and isinstance(s.extent, IntImm):
            return inner * s.extent.value
        return inner + 1
    if isinstance(s, SeqStmt):
        return sum(code_size(x) for x in s.seq)
    if isinstance(s, IfThenElse):
        return 1 + code_size(s.then_case) + (0 if s.else_case is None else code_size(s.else_case))
    if isinstance(s, Allocate):
        return 1 + code_size(s.body)
    return 1


class CEmitter:
    def __init__(self, func: PrimFunc, target, symbol: str):
        self.func = func
        self.target = target
        self.symbol = symbol
        self.names = NameTable()
        self.names.fresh(symbol)
        self.names.fresh(symbol + "_time")
        self.args_name = self.names.fresh("args")
        self.lines: list = []
        self.depth = 1
        self.bufs: dict = {}  # id(buffer) -> BufInfo
        self.values: dict = {}  # loop var -> int while a loop is unrolled
        self.ranges: dict = {}  # loop var -> Range of the enclosing loops
        self.in_parallel = False
        self.loop_depth = 0
        self.vtypes: dict = {}  # vector type name -> (dtype, lanes), declared before the body
        self.expr = ExprPrinter(self.var_name, self.scalar_load, self.ranges)

    # ------------------------------------------------------------------ helpers

    def line(self, text: str) -> None:
        self.lines.append("  " * self.depth + text)

    def var_name(self, v) -> str:
        if v in self.values:
            return str(self.values[v])
        if v not in self.ranges:
            raise CodegenError(
                f"function {self.func.name!r}: variable {v.name!r} is used outside the loops "
                "that define it")
        return self.names.get(v, v.name)

    def info(self, buffer) -> BufInfo:
        """How `buffer` is addressed (a dense pointer if it is not allocated yet)."""
        info = self.bufs.get(id(buffer))
        return info if info is not None else BufInfo(buffer.name, buffer.dense_strides(), buffer.dtype)

    def flat_index(self, info: BufInfo, indices, ranges=None):
        """The element offset of `indices` as an IR expression (int64-safe, simplified), with
        the values of unrolled loops substituted."""
        if self.values:
            consts = {v: IntImm(x, v.dtype) for v, x in self.values.items()}
            indices = [substitute(i, consts) for i in indices]
        flat = None
        for idx, st in zip(indices, info.strides):
            if idx.dtype != "int64" and collect(idx, BufferLoad):
                idx = cast("int64", idx)  # loop variables are int64 already
            term = idx * st
            flat = term if flat is None else flat + term
        if flat is None:
            return IntImm(0)
        return simplify(flat, self.ranges if ranges is None else ranges)

    def allocated(self, buffer, verb: str) -> BufInfo:
        """The BufInfo of an allocated (or parameter) buffer; a CodegenError when `buffer` is
        `verb` ("read"/"written") where it does not exist."""
        info = self.bufs.get(id(buffer))
        if info is None:
            raise CodegenError(
                f"function {self.func.name!r}: buffer {buffer.name!r} is {verb} outside its allocation")
        return info

    def scalar_load(self, load: BufferLoad) -> str:
        info = self.allocated(load.buffer, "read")
        text = f"{self.ref(info, load.indices)}"
        return f"((float){text})" if info.dtype == "float16" else text

    def ref(self, info: BufInfo, indices) -> str:
        flat = self.flat_index(info, indices)
        if info.kind == "vec":
            q = simplify(flat // info.lanes, self.ranges)
            r = simplify(flat % info.lanes, self.ranges)
            return f"{info.cname}[{self.expr(q)}][{self.expr(r)}]"
        return f"{info.cname}[{self.expr(flat)}]"

    # ------------------------------------------------------------------ statements

    def stmt(self, s) -> None:
        if isinstance(s, SeqStmt):
            for x in s.seq:
                self.stmt(x)
        elif isinstance(s, For):
            self.loop(s)
        elif isinstance(s, BufferStore):
            self.store(s)
        elif isinstance(s, IfThenElse):
            self.line(f"if ({self.expr(s.condition)}) {{")
            self.block(s.then_case)
            if s.else_case is not None:
                self.line("} else {")
                self.block(s.else_case)
            self.line("}")
        elif isinstance(s, Allocate):
            self.allocate(s)
        elif isinstance(s, Evaluate):
            if not isinstance(s.value, IntImm):
                self.line(f"(void)({self.expr(s.value)});")
        else:
            raise CodegenError(f"cannot generate C for statement {type(s).__name__}")

    def block(self, s) -> None:
        self.depth += 1
        self.stmt(s)
        self.depth -= 1

    def store(self, s: BufferStore) -> None:
        info = self.allocated(s.buffer, "written")
        self.line(f"{self.ref(info, s.indices)} = {self.expr(s.value)};")

    def allocate(self, a: Allocate) -> None:
        b = a.buffer
        name = self.names.get(b, b.name)
        elems = b.alloc_size()
        nbytes = elems * bytes_of(b.dtype)
        ctype = c_type(b.dtype)
        local = b.scope in ("local", "shared")
        on_stack = nbytes <= STACK_LIMIT_LOCAL if local else (
            self.loop_depth > 0 and nbytes <= STACK_LIMIT_GLOBAL)
        info = BufInfo(name, b.dense_strides(), b.dtype)
        lanes = vec_lanes(self, a) if on_stack else 0
        self.line("{")
        self.depth += 1
        what = f"{b.scope} buffer {comment(b.name)} {list(b.shape)}"
        if lanes:
            info.kind, info.lanes = "vec", lanes
            self.line(f"/* {what}, as vectors of {lanes} */")
            self.line(f"{vtype(self, b.dtype, lanes)} {name}[{elems // lanes}] __attribute__((aligned(64)));")
        elif on_stack:
            self.line(f"/* {what} */")
            self.line(f"{ctype} {name}[{elems}] __attribute__((aligned(64)));")
        else:
            self.line(f"/* {what}, heap */")
            self.line(f"{ctype}* restrict {name} = ({ctype}*)rtms_alloc({nbytes});")
            fail = "return -1;" if self.loop_depth == 0 else "abort();"
            self.line(f"if (!{name}) {fail}")
        self.bufs[id(b)] = info
        self.stmt(a.body)
        del self.bufs[id(b)]
        if not on_stack:
            self.line(f"free({name});")
        self.depth -= 1
        self.line("}")

    # ------------------------------------------------------------------ loops

    def loop(self, f: For) -> None:
        if f.kind in ("serial", "unrolled") and _is_unit(f):
            return self.unit_loop(f)
        if f.kind == "unrolled":
            return self.unrolled(f)
        if f.kind == "vectorized":
            return self.vectorized(f)
        pragma = None
        nested_parallel = False
        if f.kind == "parallel":
            if self.in_parallel:
                self.line("/* parallel loop nested in a parallel loop: serial */")
            else:
                pragma = f"#pragma omp parallel for num_threads({self.target.num_cores}) schedule(static)"
                nested_parallel = True
        elif f.kind == "thread_binding":
            self.line(f"/* bound to {f.thread_tag}: serial on a CPU */")
        self.for_loop(f, pragma, parallel=nested_parallel)

    def for_loop(self, f: For, pragma=None, parallel=False, body=None) -> None:
        v = self.names.get(f.loop_var, f.loop_var.name)
        lo = self.expr(f.min)
        hi = self.expr(simplify(f.min + f.extent, self.ranges))
        if pragma:
            self.lines.append(pragma)
        self.line(f"for (int64_t {v} = {lo}; {v} < {hi}; ++{v}) {{")
        self.ranges[f.loop_var] = Range(f.min, f.extent)
        self.loop_depth += 1
        saved = self.in_parallel
        self.in_parallel = self.in_parallel or parallel
        (body or self.block)(f.body)
        self.in_parallel = saved
        self.loop_depth -= 1
        del self.ranges[f.loop_var]
        self.line("}")

    def unit_loop(self, f: For) -> None:
        """A loop of one iteration is its body with the variable fixed (the unit loops that
        tiling leaves must not hide constant indices of a register tile from gcc)."""
        self.fixed_body(f, f.min.value, Range(f.min, 1))

    def fixed_body(self, f: For, value: int, at: Range) -> None:
        """`f`'s body in a scope of its own with the loop variable fixed to `value` (`at`: its
        one-point range, for simplify)."""
        self.values[f.loop_var] = value
        self.ranges[f.loop_var] = at
        self.line("{")
        self.block(f.body)
        self.line("}")
        del self.values[f.loop_var]
        del self.ranges[f.loop_var]

    def unrolled(self, f: For) -> None:
        lo, ext = f.min, f.extent
        implicit = f.annotation(IMPLICIT_UNROLL) is not None
        if (not implicit and isinstance(lo, IntImm) and isinstance(ext, IntImm)
                and ext.value <= UNROLL_MAX_EXTENT
                and ext.value * code_size(f.body) <= UNROLL_MAX_SIZE):
            self.line(f"/* unrolled: {comment(f.loop_var.name)} in [{lo.value}, {lo.value + ext.value}) */")
            for value in range(lo.value, lo.value + ext.value):
                self.fixed_body(f, value, Range(value, 1))
            return
        n = ext.value if isinstance(ext, IntImm) else 16
        self.for_loop(f, pragma=f"#pragma GCC unroll {min(n, 65534)}")

    def vectorized(self, f: For) -> None:
        emit_vectorized(self, f)

    # ------------------------------------------------------------------ function

    def function(self, lowered) -> str:
        self.lines = []
        params = []
        for i, p in enumerate(lowered.params):
            name = self.names.get(p, p.name)
            ctype = c_type(p.dtype)
            params.append(f"  {ctype}* restrict {name} = ({ctype}*){self.args_name}[{i}];")
            self.bufs[id(p)] = BufInfo(name, p.dense_strides(), p.dtype)
        self.stmt(lowered.body)
        head = [f"int32_t {self.symbol}(void** {self.args_name}) {{"]
        return "\n".join(head + params + self.lines + ["  return 0;", "}"])


def codegen_c(func: PrimFunc, target=None, symbol: str | None = None) -> str:
    """C source of `func` for a CPU `target`: `int32_t <symbol>(void** args)` (args: one data
    pointer per parameter, in order), the timing harness `<symbol>_time`, and the string
    `rtms_entry` naming the symbol."""
    from ..target import Target

    target = Target(target if target is not None else "llvm")
    if not target.is_cpu:
        raise ValueError(f"codegen_c generates CPU code; target {str(target)!r} is not a CPU target")
    if not isinstance(func, PrimFunc):
        raise TypeError(f"codegen_c expects a PrimFunc, got {type(func).__name__}")
    symbol = entry_symbol(symbol or func.name)
    em = CEmitter(func, target, symbol)
    body = em.function(lower(func))
    header = f"/* generated by raytune_ms for function {comment(func.name)}, target {comment(str(target))} */"
    parts = [header, PRELUDE, typedefs(em), body, harness(symbol),
             f'const char rtms_entry[] = "{symbol}";', ""]
    return "\n".join(parts)


def _is_unit(f: For) -> bool:
    return isinstance(f.min, IntImm) and isinstance(f.extent, IntImm) and f.extent.value == 1
