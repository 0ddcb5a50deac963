"""The CUDA wmma intrinsics (16x16x16, fp16 inputs, fp16 or fp32 accumulation), by the
reference's names: loads of a shared-memory tile into matrix_a / matrix_b fragments, mma_sync,
fill of the accumulator with zero, and the store of an accumulator tile to global or shared
memory. Each description is one block over a 16x16 (or 16x16x16) nest; the implementation is a
`WmmaImpl` that codegen/cuda_wmma.py emits (nvcuda::wmma calls, one per warp)."""

from __future__ import annotations

from dataclasses import dataclass

from ..buffer import Buffer
from ..expr import Add, BufferLoad, Cast, IterVar, Mul, Range, Var, const
from ..function import PrimFunc
from ..stmt import Block, BlockRealize, BufferRegion, BufferStore, For
from .tensor_intrin import TensorIntrin

WMMA_M = WMMA_N = WMMA_K = 16
FRAGMENT_SCOPES = ("wmma.matrix_a", "wmma.matrix_b", "wmma.accumulator")


@dataclass(frozen=True)
class WmmaImpl:
    """op: "load_a" | "load_b" | "mma" | "fill" | "store"; dtype: the fragment's element type."""

    op: str
    dtype: str


def _desc(name, buffers, iters, body_of, reads_of) -> PrimFunc:
    """One block `name` with iterators `iters` [(kind)] bound one to one to a 16-wide loop each;
    `body_of(vars)` its store, `reads_of(vars)` the regions it reads."""
    loops = [Var(f"l{n}", "int64") for n in range(len(iters))]
    ivs = [IterVar(Var(f"v{n}", "int64"), Range(0, 16), kind) for n, kind in enumerate(iters)]
    vs = [iv.var for iv in ivs]
    store = body_of(vs)
    block = Block(name, ivs, reads_of(vs), [_pt(store.buffer, vs[0], vs[1])], store)
    nest = BlockRealize(loops, True, block)
    for v in reversed(loops):
        nest = For(v, 0, 16, "serial", nest)
    root = BlockRealize([], True, Block("root", [], [], [], nest))
    return PrimFunc(buffers, root, {"global_symbol": name})


def _pt(buf, i, j):
    return BufferRegion(buf, [Range(i, 1), Range(j, 1)])


def _copy(name, src_scope, dst_scope, dtype) -> PrimFunc:
    src = Buffer("src", (16, 16), dtype, src_scope)
    dst = Buffer("dst", (16, 16), dtype, dst_scope)
    return _desc(name, [src, dst], ["spatial", "spatial"],
                 lambda v: BufferStore(dst, BufferLoad(src, [v[0], v[1]]), [v[0], v[1]]),
                 lambda v: [_pt(src, v[0], v[1])])


def _mma(name, out_dtype, scopes=FRAGMENT_SCOPES) -> PrimFunc:
    a = Buffer("A", (16, 16), "float16", scopes[0])
    b = Buffer("B", (16, 16), "float16", scopes[1])
    c = Buffer("C", (16, 16), out_dtype, scopes[2])

    def body(v):
        i, j, k = v
        la, lb = BufferLoad(a, [i, k]), BufferLoad(b, [k, j])
        prod = Mul(la, lb) if out_dtype == "float16" else Mul(Cast(out_dtype, la), Cast(out_dtype, lb))
        return BufferStore(c, Add(BufferLoad(c, [i, j]), prod), [i, j])

    return _desc(name, [a, b, c], ["spatial", "spatial", "reduce"], body,
                 lambda v: [_pt(c, v[0], v[1]), _pt(a, v[0], v[2]), _pt(b, v[2], v[1])])


def _fill(name, dtype, scope="wmma.accumulator") -> PrimFunc:
    c = Buffer("C", (16, 16), dtype, scope)
    return _desc(name, [c], ["spatial", "spatial"],
                 lambda v: BufferStore(c, const(0.0, dtype), [v[0], v[1]]), lambda v: [])


def _register() -> None:
    for operand, scope in (("a", "wmma.matrix_a"), ("b", "wmma.matrix_b")):
        name = f"wmma_load_16x16x16_f16_{operand}_shared"
        TensorIntrin.register(name, _copy(name, "shared", scope, "float16"), WmmaImpl(f"load_{operand}", "float16"))
    for code, dtype in (("f32", "float32"), ("f16", "float16")):
        name = f"wmma_sync_16x16x16_f16f16{code}"
        TensorIntrin.register(name, _mma(name, dtype), WmmaImpl("mma", dtype))
        name = f"wmma_fill_16x16x16_{code}"
        TensorIntrin.register(name, _fill(name, dtype), WmmaImpl("fill", dtype))
        for scope in ("global", "shared"):
            name = f"wmma_store_16x16x16_{code}_{scope}"
            TensorIntrin.register(name, _copy(name, "wmma.accumulator", scope, dtype), WmmaImpl("store", dtype))


def intrin_names(out_dtype: str, store_scope: str = "global") -> dict:
    """The wmma intrinsic group for an accumulator of `out_dtype`, with the reference's keys:
    {"init", "load_a", "load_b", "compute", "store"}."""
    code = {"float32": "f32", "float16": "f16"}[out_dtype]
    return {"init": f"wmma_fill_16x16x16_{code}", "load_a": "wmma_load_16x16x16_f16_a_shared",
            "load_b": "wmma_load_16x16x16_f16_b_shared", "compute": f"wmma_sync_16x16x16_f16f16{code}",
            "store": f"wmma_store_16x16x16_{code}_{store_scope}"}


def get_wmma_intrin_group(load_scope: str = "shared", store_scope: str = "global", in_dtype: str = "float16",
                          out_dtype: str = "float32", trans_b: bool = False) -> dict:
    """The reference's spelling of `intrin_names` (fp16 inputs from shared memory, no transposed B)."""
    if (load_scope, in_dtype, trans_b) != ("shared", "float16", False):
        raise ValueError(f"get_wmma_intrin_group: only load_scope='shared', in_dtype='float16' without a transposed "
                         f"B is built, not {(load_scope, in_dtype, trans_b)}")
    return intrin_names(out_dtype, store_scope)


_register()
