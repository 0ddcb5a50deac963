"""The CUDA mma.sync intrinsics (fp16 inputs, fp32 or fp16 accumulation), by the reference's names: a
16x16 tile of A or B loaded from shared memory by `ldmatrix` (x4; B transposed on the way, as
mma.sync wants its K-major "col" operand), a 16x16x16 product as two `mma.sync.m16n8k16`, the
accumulator's fill with zero and its store. A transposed B (stored [N, K], as torch's
nn.Linear weight: `x @ W.T`) has its own pair: a tile of B[n, k] loaded by `ldmatrix` without
.trans (its rows are already the "col" operand's K-contiguous columns) and the product reading
B[j, k] (`mma_f16f16f32_trans_b`); the registers it fills are the same. The descriptions are
the wmma ones (tile_desc.py) over the "m16n8k16.matrixA/B/C" scopes, whose fragments are the
per-lane registers of the PTX ISA's layouts (codegen/cuda_mma.py); the implementation is an
`MmaImpl`."""

from __future__ import annotations

from dataclasses import dataclass

from .tensor_intrin import TensorIntrin
from .tile_desc import ACCUMULATOR_CODES, copy_desc, fill_desc, mma_desc

MMA_SCOPES = ("m16n8k16.matrixA", "m16n8k16.matrixB", "m16n8k16.matrixC")


@dataclass(frozen=True)
class MmaImpl:
    """op: "load_a" | "load_b" | "load_b_trans" (B from an [N, K] tile) | "mma" | "fill" | "store";
    dtype: the fragment's element type."""

    op: str
    dtype: str


def _register() -> None:
    for operand, scope in (("a", MMA_SCOPES[0]), ("b", MMA_SCOPES[1])):
        name = f"mma_ldmatrix_f16_{operand}_shared"
        TensorIntrin.register(name, copy_desc(name, "shared", scope, "float16"), MmaImpl(f"load_{operand}", "float16"))
    name = "mma_ldmatrix_f16_b_trans_shared"
    TensorIntrin.register(name, copy_desc(name, "shared", MMA_SCOPES[1], "float16"), MmaImpl("load_b_trans", "float16"))
    for dtype, code in ACCUMULATOR_CODES.items():
        for name, trans_b in ((f"mma_f16f16{code}", False), (f"mma_f16f16{code}_trans_b", True)):
            TensorIntrin.register(name, mma_desc(name, dtype, MMA_SCOPES, trans_b), MmaImpl("mma", dtype))
        name = f"mma_fill_16x16_{code}"
        TensorIntrin.register(name, fill_desc(name, dtype, MMA_SCOPES[2]), MmaImpl("fill", dtype))
        for scope in ("global", "shared"):
            name = f"mma_store_16x16_{code}_{scope}"
            TensorIntrin.register(name, copy_desc(name, MMA_SCOPES[2], scope, dtype), MmaImpl("store", dtype))


def get_mma_intrin_group(load_scope: str = "shared", store_scope: str = "global", in_dtype: str = "float16",
                         out_dtype: str = "float32", trans_a: bool = False, trans_b: bool = False) -> dict:
    """The mma.sync intrinsic group with the reference's keys {"init", "load_a", "load_b",
    "compute", "store"}; fp16 inputs from shared memory and fp32 or fp16 accumulation, with A
    untransposed and B either [K, N] or (`trans_b`) [N, K], are the ones built."""
    if (load_scope, in_dtype, trans_a) != ("shared", "float16", False):
        raise ValueError(f"get_mma_intrin_group: only load_scope='shared', in_dtype='float16' without a transposed "
                         f"A is built, not {(load_scope, in_dtype, trans_a)}")
    if out_dtype not in ACCUMULATOR_CODES:
        raise ValueError(f"get_mma_intrin_group: out_dtype must be 'float32' or 'float16', not {out_dtype!r}")
    if store_scope not in ("global", "shared"):
        raise ValueError(f"get_mma_intrin_group: store_scope must be 'global' or 'shared', not {store_scope!r}")
    code = ACCUMULATOR_CODES[out_dtype]
    suffix = ("_trans", "_trans_b") if trans_b else ("", "")
    return {"init": f"mma_fill_16x16_{code}", "load_a": "mma_ldmatrix_f16_a_shared",
            "load_b": f"mma_ldmatrix_f16_b{suffix[0]}_shared", "compute": f"mma_f16f16{code}{suffix[1]}",
            "store": f"mma_store_16x16_{code}_{store_scope}"}


_register()
