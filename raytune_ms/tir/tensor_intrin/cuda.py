"""The CUDA wmma intrinsics (16x16x16, fp16 inputs, fp16 or fp32 accumulation), by the
reference's names: loads of a shared-memory tile into matrix_a / matrix_b fragments, mma_sync,
fill of the accumulator with zero, and the store of an accumulator tile to global or shared
memory. Each description is one block over a 16x16 (or 16x16x16) nest (tile_desc.py); the
implementation is a `WmmaImpl` that codegen/cuda_wmma.py emits (nvcuda::wmma calls, one per warp)."""

from __future__ import annotations

from dataclasses import dataclass

from .tensor_intrin import TensorIntrin
from .tile_desc import copy_desc, fill_desc, mma_desc

WMMA_M = WMMA_N = WMMA_K = 16
FRAGMENT_SCOPES = ("wmma.matrix_a", "wmma.matrix_b", "wmma.accumulator")


@dataclass(frozen=True)
class WmmaImpl:
    """op: "load_a" | "load_b" | "mma" | "fill" | "store"; dtype: the fragment's element type."""

    op: str
    dtype: str


def _register() -> None:
    for operand, scope in (("a", "wmma.matrix_a"), ("b", "wmma.matrix_b")):
        name = f"wmma_load_16x16x16_f16_{operand}_shared"
        TensorIntrin.register(name, copy_desc(name, "shared", scope, "float16"), WmmaImpl(f"load_{operand}", "float16"))
    for code, dtype in (("f32", "float32"), ("f16", "float16")):
        name = f"wmma_sync_16x16x16_f16f16{code}"
        TensorIntrin.register(name, mma_desc(name, dtype, FRAGMENT_SCOPES), WmmaImpl("mma", dtype))
        name = f"wmma_fill_16x16x16_{code}"
        TensorIntrin.register(name, fill_desc(name, dtype, FRAGMENT_SCOPES[2]), WmmaImpl("fill", dtype))
        for scope in ("global", "shared"):
            name = f"wmma_store_16x16x16_{code}_{scope}"
            TensorIntrin.register(name, copy_desc(name, "wmma.accumulator", scope, dtype), WmmaImpl("store", dtype))


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
