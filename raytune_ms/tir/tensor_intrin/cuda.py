"""The CUDA wmma intrinsics (16x16x16, fp16 inputs, fp16 or fp32 accumulation), by the
reference's names: loads of a shared-memory tile into matrix_a / matrix_b fragments, mma_sync,
fill of the accumulator with zero, and the store of an accumulator tile to global or shared
memory. A transposed B (stored [N, K], torch's `x @ W.T`) has its own pair, as in the
reference: a tile of B[n, k] loaded into a col_major matrix_b fragment (`..._b_trans_shared`)
and the product reading B[j, k] (`..._trans`), so an NT GEMM needs no re-laid-out copy of B.
Each description is one block over a 16x16 (or 16x16x16) nest (tile_desc.py); the
implementation is a `WmmaImpl` that codegen/cuda_wmma.py emits (nvcuda::wmma calls, one per warp)."""

from __future__ import annotations

from dataclasses import dataclass

from .tensor_intrin import TensorIntrin
from .tile_desc import ACCUMULATOR_CODES, copy_desc, fill_desc, mma_desc

WMMA_M = WMMA_N = WMMA_K = 16
FRAGMENT_SCOPES = ("wmma.matrix_a", "wmma.matrix_b", "wmma.accumulator")


@dataclass(frozen=True)
class WmmaImpl:
    """op: "load_a" | "load_b" | "load_b_trans" (B from an [N, K] tile) | "mma" | "fill" | "store";
    dtype: the fragment's element type."""

    op: str
    dtype: str


def _register() -> None:
    for operand, scope in (("a", "wmma.matrix_a"), ("b", "wmma.matrix_b")):
        name = f"wmma_load_16x16x16_f16_{operand}_shared"
        TensorIntrin.register(name, copy_desc(name, "shared", scope, "float16"), WmmaImpl(f"load_{operand}", "float16"))
    name = "wmma_load_16x16x16_f16_b_trans_shared"
    TensorIntrin.register(name, copy_desc(name, "shared", FRAGMENT_SCOPES[1], "float16"),
                          WmmaImpl("load_b_trans", "float16"))
    for dtype, code in ACCUMULATOR_CODES.items():
        for suffix, trans_b in (("", False), ("_trans", True)):
            name = f"wmma_sync_16x16x16_f16f16{code}{suffix}"
            TensorIntrin.register(name, mma_desc(name, dtype, FRAGMENT_SCOPES, trans_b), WmmaImpl("mma", dtype))
        name = f"wmma_fill_16x16x16_{code}"
        TensorIntrin.register(name, fill_desc(name, dtype, FRAGMENT_SCOPES[2]), WmmaImpl("fill", dtype))
        for scope in ("global", "shared"):
            name = f"wmma_store_16x16x16_{code}_{scope}"
            TensorIntrin.register(name, copy_desc(name, "wmma.accumulator", scope, dtype), WmmaImpl("store", dtype))


def intrin_names(out_dtype: str, store_scope: str = "global", trans_b: bool = False) -> dict:
    """The wmma intrinsic group for an accumulator of `out_dtype` (B read [N, K] with `trans_b`),
    with the reference's keys: {"init", "load_a", "load_b", "compute", "store"}."""
    code = ACCUMULATOR_CODES[out_dtype]
    trans = "_trans" if trans_b else ""
    return {"init": f"wmma_fill_16x16x16_{code}", "load_a": "wmma_load_16x16x16_f16_a_shared",
            "load_b": f"wmma_load_16x16x16_f16_b{trans}_shared", "compute": f"wmma_sync_16x16x16_f16f16{code}{trans}",
            "store": f"wmma_store_16x16x16_{code}_{store_scope}"}


def get_wmma_intrin_group(load_scope: str = "shared", store_scope: str = "global", in_dtype: str = "float16",
                          out_dtype: str = "float32", trans_b: bool = False) -> dict:
    """The reference's spelling of `intrin_names` (fp16 inputs from shared memory)."""
    if (load_scope, in_dtype) != ("shared", "float16"):
        raise ValueError(f"get_wmma_intrin_group: only load_scope='shared', in_dtype='float16' is built, not "
                         f"{(load_scope, in_dtype)}")
    if out_dtype not in ACCUMULATOR_CODES or store_scope not in ("global", "shared"):
        raise ValueError(f"get_wmma_intrin_group: out_dtype must be 'float32' or 'float16' and store_scope "
                         f"'global' or 'shared', not {(out_dtype, store_scope)}")
    return intrin_names(out_dtype, store_scope, trans_b)


_register()
