"""CUDA C of tensorized regions (schedule/primitives/tensorize.py) whose intrinsic is a wmma
`WmmaImpl` (tir/tensor_intrin/cuda.py): fragment buffers become arrays of
`nvcuda::wmma::fragment` (one per 16x16 tile, per warp), and each tensorized loop nest one
`load_matrix_sync` / `mma_sync` / `fill_fragment` / `store_matrix_sync` call, run by every lane
of the warp. A matrix_b fragment filled by the transposed-B load (a tile of B stored [N, K]) is
col_major, the others row_major. A fragment is addressed by its tile: the region's start in its
last two dimensions, divided by 16 (a CodegenError when it is not a multiple of 16)."""

from __future__ import annotations

from ..tir import BufferLoad, BufferStore, For, IfThenElse, IntImm, collect, floordiv, floormod, substitute
from ..tir.analysis import is_true
from ..tir.arith import simplify
from ..tir.tensor_intrin import TENSORIZED_KEY, TensorIntrin
from ..tir.tensor_intrin.cuda import FRAGMENT_SCOPES
from .c_expr import CodegenError
from .names import comment

MMA_INCLUDE = "#include <mma.h>"
_USE = {"wmma.matrix_a": "nvcuda::wmma::matrix_a", "wmma.matrix_b": "nvcuda::wmma::matrix_b",
        "wmma.accumulator": "nvcuda::wmma::accumulator"}


def _ctype(dtype: str) -> str:
    if dtype not in ("float16", "float32"):
        raise CodegenError(f"wmma fragments hold float16 or float32, not {dtype}")
    return "__half" if dtype == "float16" else "float"


def is_fragment(buffer) -> bool:
    return buffer.scope in FRAGMENT_SCOPES


def tiles(em, b) -> tuple:
    """(shape, number of 16x16 tiles) of fragment buffer `b`, whose last two dimensions must be
    multiples of 16."""
    shape = [int(getattr(d, "value", d)) for d in b.shape]
    if len(shape) < 2 or shape[-1] % 16 or shape[-2] % 16:
        raise CodegenError(f"function {em.func.name!r}: fragment buffer {b.name!r} has shape {shape}; its last "
                           "two dimensions must be multiples of 16")
    count = (shape[-2] // 16) * (shape[-1] // 16)
    for d in shape[:-2]:
        count *= d
    return shape, count


def declare(em, a, shape, decl: str, per: str) -> None:
    """Emit `decl` (the fragment array of `a.buffer`, per warp or per lane) in a scope around its
    allocation's body, where the tensorized loops find it."""
    b = a.buffer
    em.line("{")
    em.depth += 1
    em.line(f"/* {b.scope} fragments {comment(b.name)} {shape}: per {per} */")
    em.line(decl)
    em.fragments[id(b)] = (em.names.get(b, b.name), shape)
    em.stmt(a.body)
    del em.fragments[id(b)]
    em.depth -= 1
    em.line("}")


def _layout(em, a) -> str:
    """The fragment type's layout argument of fragment buffer `a.buffer`: none for an
    accumulator; col_major for a matrix_b filled by a transposed-B load (a CodegenError if it is
    also filled by a plain one), else row_major."""
    b = a.buffer
    if b.scope == "wmma.accumulator":
        return ""
    if b.scope != "wmma.matrix_b":
        return ", nvcuda::wmma::row_major"
    ops = set()
    for f in collect(a.body, For):
        name = f.annotation(TENSORIZED_KEY)
        impl = TensorIntrin.get(name).impl if name else None
        if impl is not None and impl.op in ("load_b", "load_b_trans") and getattr(_nest(f)[1], "buffer", None) is b:
            ops.add(impl.op)
    if len(ops) > 1:
        raise CodegenError(f"function {em.func.name!r}: fragment {b.name!r} is loaded both from a [K, N] and an "
                           "[N, K] tile of B; one wmma fragment has one layout")
    return ", nvcuda::wmma::col_major" if ops == {"load_b_trans"} else ", nvcuda::wmma::row_major"


def allocate(em, a) -> None:
    """Declare a fragment buffer as an array of wmma fragments over its 16x16 tiles."""
    b = a.buffer
    shape, count = tiles(em, b)
    layout = _layout(em, a)
    em.uses_wmma = True
    declare(em, a, shape, f"nvcuda::wmma::fragment<{_USE[b.scope]}, 16, 16, 16, {_ctype(b.dtype)}{layout}> "
            f"{em.names.get(b, b.name)}[{count}];", "warp")


def _nest(f: For):
    loops, s = [], f
    while isinstance(s, For):
        loops.append(s)
        s = s.body
    while isinstance(s, IfThenElse) and is_true(s.condition) and s.else_case is None:
        s = s.then_case
    return loops, s


class _Region:
    def __init__(self, em, f):
        self.em = em
        loops, self.store = _nest(f)
        if not isinstance(self.store, BufferStore):
            raise CodegenError(f"function {em.func.name!r}: tensorized loop {f.loop_var.name!r} holds a "
                               f"{type(self.store).__name__}, not one store")
        self.zero = {lp.loop_var: IntImm(0, lp.loop_var.dtype) for lp in loops}
        self.where = f"tensorized loop {f.loop_var.name!r}"

    def base(self, indices):
        out = [substitute(i, self.zero) for i in indices]
        if self.em.values:
            out = [substitute(i, {v: IntImm(x, v.dtype) for v, x in self.em.values.items()}) for i in out]
        return [simplify(i, self.em.ranges) for i in out]

    def fragment(self, buffer, indices) -> str:
        entry = self.em.fragments.get(id(buffer))
        if entry is None:
            raise CodegenError(f"function {self.em.func.name!r}: {self.where}: {buffer.name!r} is not an "
                               "allocated fragment buffer")
        name, shape = entry
        *lead, r, c = self.base(indices)
        for x in (r, c):
            rem = simplify(floormod(x, 16), self.em.ranges)
            if not (isinstance(rem, IntImm) and rem.value == 0):
                raise CodegenError(f"function {self.em.func.name!r}: {self.where}: fragment {buffer.name!r} "
                                   f"is addressed at {x!r}, not a multiple of 16")
        index = None
        for x, d in zip(lead, shape[:-2]):
            index = x if index is None else index * d + x
        tiles = floordiv(r, 16) * (shape[-1] // 16) + floordiv(c, 16)
        if index is not None:
            tiles = index * ((shape[-2] // 16) * (shape[-1] // 16)) + tiles
        return f"{name}[{self.em.expr(simplify(tiles, self.em.ranges))}]"

    def memory(self, buffer, indices, verb):
        info = self.em.allocated(buffer, verb)
        if len(info.strides) < 2 or info.strides[-1] != 1:
            raise CodegenError(f"function {self.em.func.name!r}: {self.where}: {buffer.name!r} is not a dense "
                               "row-major matrix")
        flat = self.em.flat_index(info, self.base(indices))
        return f"&{info.cname}[{self.em.expr(flat)}]", info.strides[-2]


def operands(em, f: For, intrin_name: str, impl, scopes) -> dict:
    """The printed operands of the tensorized nest `f` (after a comment naming the intrinsic):
    frag, ptr and ldm for a load or a store, frag for a fill, c, a and b for a product whose A
    and B fragments have `scopes`."""
    reg = _Region(em, f)
    s = reg.store
    em.line(f"/* {comment(intrin_name)} */")
    if impl.op.startswith("load_"):  # load_a, load_b, load_b_trans
        if not isinstance(s.value, BufferLoad):
            raise CodegenError(f"function {em.func.name!r}: {reg.where}: a fragment load must copy a buffer")
        ptr, ldm = reg.memory(s.value.buffer, s.value.indices, "read")
        return {"frag": reg.fragment(s.buffer, s.indices), "ptr": ptr, "ldm": ldm}
    if impl.op == "store":
        ptr, ldm = reg.memory(s.buffer, s.indices, "written")
        return {"frag": reg.fragment(s.value.buffer, s.value.indices), "ptr": ptr, "ldm": ldm}
    if impl.op == "fill":
        return {"frag": reg.fragment(s.buffer, s.indices)}
    if impl.op == "mma":
        loads = {ld.buffer.scope: ld for ld in collect(s.value, BufferLoad)}
        a, b = loads[scopes[0]], loads[scopes[1]]
        return {"c": reg.fragment(s.buffer, s.indices), "a": reg.fragment(a.buffer, a.indices),
                "b": reg.fragment(b.buffer, b.indices)}
    raise CodegenError(f"function {em.func.name!r}: {reg.where}: unknown tensor-core op {impl.op!r}")


_LOAD = "load_matrix_sync({frag}, {ptr}, {ldm})"
_CALLS = {"load_a": _LOAD, "load_b": _LOAD, "load_b_trans": _LOAD,
          "store": "store_matrix_sync({ptr}, {frag}, {ldm}, nvcuda::wmma::mem_row_major)",
          "fill": "fill_fragment({frag}, {zero})", "mma": "mma_sync({c}, {a}, {b}, {c})"}


def emit(em, f: For, intrin_name: str) -> None:
    impl = TensorIntrin.get(intrin_name).impl
    em.uses_wmma = True
    args = operands(em, f, intrin_name, impl, FRAGMENT_SCOPES[:2])
    zero = "__float2half(0.0f)" if impl.dtype == "float16" else "0.0f"
    em.line(f"nvcuda::wmma::{_CALLS[impl.op].format(**args, zero=zero)};")
