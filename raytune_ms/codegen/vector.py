"""Vectorized loops as real SIMD code with GCC vector extensions.

A vectorized loop of constant extent V runs in chunks of W lanes (W: the largest power of two
dividing V, at most one machine vector of the widest element type in the body); its loop
variable becomes `base + lane`. The loop is emitted as vector statements when its body is
straight-line (stores, conditions that do not depend on the lane) and every access moves with
the lane by element stride 1 (contiguous: a vector load/store through an unaligned vector
type) or 0 (invariant: a scalar, broadcast where needed); values combine with +, -, *, /,
min, max, numeric casts, lane-invariant selects and the math calls vector_math.py has vector
forms of (exp). Anything else (other strides, other math calls, lane-dependent conditions,
float16/bool, a store of every lane to one element) becomes a scalar loop under
`#pragma omp simd` (or a plain loop for such reductions), with a comment.

Small stack buffers whose every vectorized access is contiguous and aligned to W are arrays
of vectors ("vec" buffers, see `vec_lanes`), which gcc keeps in vector registers.
"""

from __future__ import annotations

from ..tir import (
    Add,
    BufferLoad,
    BufferStore,
    Call,
    Cast,
    Div,
    Evaluate,
    For,
    IfThenElse,
    IntImm,
    Max,
    Min,
    Mul,
    Range,
    Select,
    SeqStmt,
    Sub,
    Var,
    collect,
    substitute,
)
from ..tir.dtype import bytes_of
from ..tir.functor import used_vars
from .affine import build, divided, is_multiple, split_lane
from .c_expr import c_type, compute_type, dtype_code
from .names import comment
from .vector_math import VECTOR_CALLS, vector_call_helpers

UNROLL_CHUNKS = 8  # up to this many chunks are written out, more run in a loop
_VEC_DTYPES = ("int8", "uint8", "int16", "int32", "int64", "float32", "float64")
_ARITH = {Add: "+", Sub: "-", Mul: "*", Div: "/"}


class _NotVectorizable(Exception):
    pass


def vtype(em, dtype: str, lanes: int) -> str:
    """The name of the W-lane vector type of `dtype` (declared in the file's typedefs)."""
    name = f"rtms_v{lanes}{dtype_code(dtype)}"
    em.vtypes[name] = (dtype, lanes)
    return name


def helper(kind: str, vt: str) -> str:
    """Name of a per-vector-type helper: helper("splat", "rtms_v16f32") -> rtms_splat_v16f32."""
    return f"rtms_{kind}_{vt[len('rtms_'):]}"


# ---------------------------------------------------------------------------- planning


class Plan:
    """How a vectorized loop is emitted: lanes per chunk, chunk count, the lane variables."""

    def __init__(self, f: For, lanes: int):
        self.loop = f
        self.lanes = lanes
        self.chunks = f.extent.value // lanes
        self.lane = Var("lane", "int64")
        self.chunk = Var(f.loop_var.name + "_c", "int64")
        self.base = f.min + self.chunk * lanes if self.chunks > 1 else f.min
        self.body = substitute(f.body, {f.loop_var: self.base + self.lane})
        self.accesses: list = []  # (buffer, rest) of every contiguous access


def _widest(f: For) -> int:
    size = 1
    for n in collect(f.body, (BufferLoad, BufferStore)):
        size = max(size, bytes_of(n.buffer.dtype))
    for n in collect(f.body, Cast):
        size = max(size, bytes_of(n.dtype))
    return size


def plan(em, f: For, ranges: dict):
    """A Plan for vectorized loop `f`, or the reason (a string) it stays scalar."""
    if not isinstance(f.extent, IntImm):
        return "extent is not a constant"
    width = max(1, em.target.vector_bytes // _widest(f))
    lanes = 1
    while lanes < width and f.extent.value % (lanes * 2) == 0:
        lanes *= 2
    if lanes < 2:
        return f"extent {f.extent.value} is not a multiple of 2"
    p = Plan(f, lanes)
    inner = dict(ranges)
    inner[p.lane] = Range(0, lanes)
    inner[p.chunk] = Range(0, p.chunks)
    try:
        _Checker(em, p, inner).stmt(p.body)
    except _NotVectorizable as e:
        return str(e)
    return p


class _Checker:
    """Walks a chunk body as the emitter will, raising _NotVectorizable with the reason."""

    def __init__(self, em, p: Plan, ranges):
        self.em, self.p, self.ranges = em, p, ranges
        self.lane_id = id(p.lane)

    def varies(self, node) -> bool:
        return self.lane_id in used_vars(node)

    def stmt(self, s):
        if isinstance(s, SeqStmt):
            for x in s.seq:
                self.stmt(x)
        elif isinstance(s, BufferStore):
            self.access(s, store=True)
            self.value(s.value)
        elif isinstance(s, IfThenElse):
            if self.varies(s.condition):
                raise _NotVectorizable("a condition depends on the vectorized variable")
            self.stmt(s.then_case)
            if s.else_case is not None:
                self.stmt(s.else_case)
        elif isinstance(s, Evaluate) and isinstance(s.value, IntImm):
            pass
        else:
            raise _NotVectorizable(f"the body holds a {type(s).__name__} statement")

    def access(self, n, store=False):
        buf = n.buffer
        if buf.dtype not in _VEC_DTYPES:
            raise _NotVectorizable(f"buffer {buf.name} has dtype {buf.dtype}")
        flat = self.em.flat_index(self.em.info(buf), n.indices, self.ranges)
        split = split_lane(flat, self.p.lane)
        if split is None:
            raise _NotVectorizable(f"the index of {buf.name} is not affine in the vectorized variable")
        coef, rest = split
        if coef == 0 and store:
            raise _NotVectorizable(f"every lane stores to one element of {buf.name}")
        if coef not in (0, 1):
            raise _NotVectorizable(f"access to {buf.name} has element stride {coef}")
        if coef == 1:
            info = self.em.bufs.get(id(buf))
            if info is not None and info.kind == "vec" and (
                    info.lanes != self.p.lanes or not is_multiple(rest, info.lanes)):
                raise _NotVectorizable(f"access to vector array {buf.name} is not lane-aligned")
            self.p.accesses.append((buf, rest))
        return coef

    def value(self, e):
        """Whether `e` is a vector (else a lane-invariant scalar); raise if unsupported."""
        if not self.varies(e):
            return False
        if e.dtype not in _VEC_DTYPES:
            raise _NotVectorizable(f"a {e.dtype} value depends on the vectorized variable")
        t = type(e)
        if t is BufferLoad:
            return self.access(e) == 1
        if t in _ARITH or t is Min or t is Max:
            return self.value(e.a) | self.value(e.b)
        if t is Cast:
            return self.value(e.value)
        if t is Select:
            if self.varies(e.condition):
                raise _NotVectorizable("a select condition depends on the vectorized variable")
            return self.value(e.true_value) | self.value(e.false_value)
        if t is Call and VECTOR_CALLS.get(e.op, ("",))[0] == e.dtype:
            for a in e.args:
                self.value(a)
            return True
        if t is Var:
            raise _NotVectorizable("the vectorized variable is used as a value")
        raise _NotVectorizable(f"{t.__name__} has no vector form here")


# ---------------------------------------------------------------------------- emission


def emit_vectorized(em, f: For) -> None:
    p = plan(em, f, em.ranges)
    if isinstance(p, str):
        return _fallback(em, f, p)
    name = comment(f.loop_var.name)
    em.line(f"/* vectorized: {name}, {p.chunks} x {p.lanes} lanes */")
    vp = _VecPrinter(em, p)
    if p.chunks <= UNROLL_CHUNKS:
        for c in range(p.chunks):
            em.values[p.chunk] = c
            em.ranges[p.chunk] = Range(c, 1)
            vp.stmt(p.body)
        em.values.pop(p.chunk, None)
        em.ranges.pop(p.chunk, None)
        return
    cv = em.names.get(p.chunk, p.chunk.name)
    em.line(f"for (int64_t {cv} = 0; {cv} < {p.chunks}; ++{cv}) {{")
    em.ranges[p.chunk] = Range(0, p.chunks)
    em.depth += 1
    vp.stmt(p.body)
    em.depth -= 1
    del em.ranges[p.chunk]
    em.line("}")


def _fallback(em, f, why: str) -> None:
    em.line(f"/* vectorized loop {comment(f.loop_var.name)} emitted as a scalar loop: {comment(why)} */")
    # `omp simd` promises independent iterations: not for a store of every iteration to one
    # element (a reduction), and not around inner loops (which may hold OpenMP constructs)
    simd = not collect(f.body, For) and all(
        _var_in_indices(s, f.loop_var) for s in collect(f.body, BufferStore))
    em.for_loop(f, pragma="#pragma omp simd" if simd else None)


def _var_in_indices(store, var) -> bool:
    return any(id(var) in used_vars(i) for i in store.indices)


class _VecPrinter:
    def __init__(self, em, p: Plan):
        self.em, self.p = em, p
        self.lane_id = id(p.lane)
        em.ranges[p.lane] = Range(0, p.lanes)

    def varies(self, node) -> bool:
        return self.lane_id in used_vars(node)

    def stmt(self, s):
        em = self.em
        if isinstance(s, SeqStmt):
            for x in s.seq:
                self.stmt(x)
        elif isinstance(s, BufferStore):
            ref = self.ref(s)
            em.line(f"{ref} = {self.vector(s.value)};")
        elif isinstance(s, IfThenElse):
            em.line(f"if ({em.expr(s.condition)}) {{")
            em.depth += 1
            self.stmt(s.then_case)
            em.depth -= 1
            if s.else_case is not None:
                em.line("} else {")
                em.depth += 1
                self.stmt(s.else_case)
                em.depth -= 1
            em.line("}")

    def ref(self, n) -> str:
        """A vector lvalue/rvalue for a contiguous access."""
        em = self.em
        info = em.info(n.buffer)
        coef, rest = split_lane(em.flat_index(info, n.indices), self.p.lane)
        assert coef == 1
        if info.kind == "vec":
            return f"{info.cname}[{em.expr(divided(rest, info.lanes))}]"
        vt = vtype(em, info.dtype, self.p.lanes)
        return f"(*({vt}*)&{info.cname}[{em.expr(build(*rest))}])"

    def vector(self, e) -> str:
        """`e` as a vector of its dtype (a lane-invariant value is broadcast)."""
        text, is_vec = self.value(e)
        if is_vec:
            return text
        return f"{helper('splat', vtype(self.em, e.dtype, self.p.lanes))}({text})"

    def value(self, e):
        em = self.em
        if not self.varies(e):
            return em.expr(e), False
        t = type(e)
        if t is BufferLoad:
            coef, _ = split_lane(em.flat_index(em.info(e.buffer), e.indices), self.p.lane)
            if coef == 0:
                return em.expr(e), False
            return self.ref(e), True
        if t in _ARITH:
            (a, va), (b, vb) = self.value(e.a), self.value(e.b)
            if not (va or vb):
                return f"({a} {_ARITH[t]} {b})", False
            ct = compute_type(e.dtype)
            a = a if va else f"(({ct}){a})"
            b = b if vb else f"(({ct}){b})"
            return f"({a} {_ARITH[t]} {b})", True
        if t is Min or t is Max:
            vt = vtype(em, e.dtype, self.p.lanes)
            fn = helper("vmin" if t is Min else "vmax", vt)
            return f"{fn}({self.vector(e.a)}, {self.vector(e.b)})", True
        if t is Cast:
            v, is_vec = self.value(e.value)
            if not is_vec:
                return em.expr(e), False
            return f"__builtin_convertvector({v}, {vtype(em, e.dtype, self.p.lanes)})", True
        if t is Select:
            return (f"({em.expr(e.condition)} ? {self.vector(e.true_value)} : "
                    f"{self.vector(e.false_value)})"), True
        if t is Call:
            fn = helper(VECTOR_CALLS[e.op][1], vtype(em, e.dtype, self.p.lanes))
            return f"{fn}({', '.join(self.vector(a) for a in e.args)})", True
        raise AssertionError(f"unplanned vector node {t.__name__}")


# ---------------------------------------------------------------------------- arrays of vectors


def vec_lanes(em, alloc) -> int:
    """Lanes W if the allocated buffer should be an array of W-lane vectors, else 0: every
    vectorized access to it is contiguous, W-aligned and in a W-lane loop, and there is one."""
    b = alloc.buffer
    if b.dtype not in _VEC_DTYPES:
        return 0
    ranges = dict(em.ranges)
    for f in collect(alloc.body, For):
        ranges[f.loop_var] = Range(f.min, f.extent)
    lanes = set()
    for f in collect(alloc.body, For):
        if f.kind != "vectorized" or not any(
                n.buffer is b for n in collect(f.body, (BufferLoad, BufferStore))):
            continue
        p = plan(em, f, ranges)
        if isinstance(p, str):
            continue
        for buf, rest in p.accesses:
            if buf is b:
                if not is_multiple(rest, p.lanes):
                    return 0
                lanes.add(p.lanes)
    if len(lanes) != 1:
        return 0
    w = lanes.pop()
    return w if b.alloc_size() % w == 0 else 0


# ---------------------------------------------------------------------------- declarations


_MASK = {"float32": "int32", "float64": "int64"}


def typedefs(em) -> str:
    """Typedefs and helpers (broadcast, min, max) of every vector type the function uses."""
    out = []
    done = set()
    for name, (dtype, lanes) in list(em.vtypes.items()):
        mask_dtype = _MASK.get(dtype, "int8" if dtype == "uint8" else dtype)
        mask = vtype(em, mask_dtype, lanes)
        for n, (dt, w) in ((mask, (mask_dtype, lanes)), (name, (dtype, lanes))):
            if n in done:
                continue
            done.add(n)
            size = bytes_of(dt)
            out.append(f"typedef {c_type(dt)} {n} __attribute__((vector_size({size * w}), "
                       f"aligned({size})));")
        ct = c_type(dtype)
        elems = ", ".join(["x"] * lanes)
        out.append(f"static inline {name} {helper('splat', name)}({ct} x) {{ {name} v = {{{elems}}}; return v; }}")
        for fn, op in (("vmin", "<"), ("vmax", ">")):
            out.append(
                f"static inline {name} {helper(fn, name)}({name} a, {name} b) {{ {mask} m = "
                f"({mask})(a {op} b); return ({name})((({mask})a & m) | (({mask})b & ~m)); }}")
        out += vector_call_helpers(name, mask, dtype)
    return "\n".join(out)
