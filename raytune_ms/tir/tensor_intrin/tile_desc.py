"""The descriptions of the 16x16 tensor-core intrinsics, over buffers of given scopes: a tile
copy (a fragment load or store), a 16x16x16 multiply-accumulate and a fill with zero. The wmma
set (cuda.py) and the mma.sync set (cuda_mma.py) are registered with them over their own
fragment scopes; each is one block over a 16x16 (or 16x16x16) nest of 16-wide loops."""

from __future__ import annotations

from ..buffer import Buffer
from ..expr import Add, BufferLoad, Cast, IterVar, Mul, Range, Var, const
from ..function import PrimFunc
from ..functor import collect
from ..stmt import Block, BlockRealize, BufferRegion, BufferStore, For

#: the accumulator dtypes of the tensor-core intrinsics and the code their names spell them by
ACCUMULATOR_CODES = {"float32": "f32", "float16": "f16"}


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


def copy_desc(name, src_scope, dst_scope, dtype) -> PrimFunc:
    """dst[i, j] = src[i, j]: a fragment load (from shared memory) or store (to global or shared)."""
    src = Buffer("src", (16, 16), dtype, src_scope)
    dst = Buffer("dst", (16, 16), dtype, dst_scope)
    return _desc(name, [src, dst], ["spatial", "spatial"],
                 lambda v: BufferStore(dst, BufferLoad(src, [v[0], v[1]]), [v[0], v[1]]),
                 lambda v: [_pt(src, v[0], v[1])])


def mma_desc(name, out_dtype, scopes, trans_b: bool = False) -> PrimFunc:
    """C[i, j] += A[i, k] * B[k, j] on fp16 inputs, accumulated in `out_dtype`; `scopes` are
    A's, B's and C's. With `trans_b`, B is indexed B[j, k] (stored [N, K], as a linear layer's
    weight), so a fragment tile of it is read from that layout."""
    a = Buffer("A", (16, 16), "float16", scopes[0])
    b = Buffer("B", (16, 16), "float16", scopes[1])
    c = Buffer("C", (16, 16), out_dtype, scopes[2])

    def body(v):
        i, j, k = v
        la, lb = BufferLoad(a, [i, k]), BufferLoad(b, [j, k] if trans_b else [k, j])
        prod = Mul(la, lb) if out_dtype == "float16" else Mul(Cast(out_dtype, la), Cast(out_dtype, lb))
        return BufferStore(c, Add(BufferLoad(c, [i, j]), prod), [i, j])

    return _desc(name, [a, b, c], ["spatial", "spatial", "reduce"], body,
                 lambda v: [_pt(c, v[0], v[1]), _pt(a, v[0], v[2]),
                            _pt(b, v[1], v[2]) if trans_b else _pt(b, v[2], v[1])])


def b_transposed(desc) -> bool:
    """Whether the product description `desc` (mma_desc's) reads B as B[j, k]."""
    (block,) = [b for b in collect(desc.body, Block) if b.name != "root"]
    return block.reads[2].region[0].min is block.iter_vars[1].var


def fill_desc(name, dtype, scope) -> PrimFunc:
    """C[i, j] = 0: the accumulator's init."""
    c = Buffer("C", (16, 16), dtype, scope)
    return _desc(name, [c], ["spatial", "spatial"],
                 lambda v: BufferStore(c, const(0.0, dtype), [v[0], v[1]]), lambda v: [])
