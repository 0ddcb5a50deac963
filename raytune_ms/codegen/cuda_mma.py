"""CUDA C of tensorized regions whose intrinsic is an mma.sync `MmaImpl`
(tir/tensor_intrin/cuda_mma.py). A "m16n8k16.matrixA/B" fragment buffer is, per lane of the
warp, 4 registers of two halves per 16x16 tile, and a "m16n8k16.matrixC" one 8 floats per tile
(two m16n8 accumulators; with fp16 accumulation, 4 registers of two halves: floats 2r and
2r + 1 in register r), laid out as the PTX ISA says for mma.m16n8k16 (groupID = lane / 4,
t = lane % 4):

- A: register r holds row groupID + 8 * (r % 2), columns 2t + {0, 1} + 8 * (r / 2);
- B (16x16 as two 16x8 halves n = 0, 1): register 2n + r holds rows (k) 2t + {0, 1} + 8r of
  column (n) 8n + groupID;
- C: float 4n + i holds row groupID + 8 * (i / 2), column 8n + 2t + i % 2.

Loads are `ldmatrix.x4` (lane l names row l % 16, column (l / 16) * 8 of the tile; B with
.trans), the product two `mma.sync.m16n8k16.row.col.f32.f16.f16.f32` (`.f16.f16.f16.f16` with
fp16 accumulation), the store writes each lane's values to their positions. A B tile stored
[n, k] (the transposed-B intrinsics) is loaded without .trans: 8x8 matrix m of the x4 load
(register m) covers rows n 8 * (m / 2) and on, columns k 8 * (m % 2) and on, so lane l names row
8 * (l / 16) + l % 8, column 8 * (l / 8 % 2), and receives row groupID, columns 2t + {0, 1} of
matrix m: B's register layout above, read from rows of n. The instructions are four helpers
(`rtms_ldsm_x4`, `rtms_ldsm_x4_trans`, `rtms_mma_m16n8k16_f32`, `rtms_mma_m16n8k16_f16`); the
CPU emulator implements exactly those, so the rest of MMA_HELPERS (the lane addressing) is what
both run. Fragment addressing (a tile per 16x16 region) is cuda_wmma's."""

from __future__ import annotations

from ..tir.tensor_intrin.cuda_mma import MMA_SCOPES
from .c_expr import CodegenError
from .cuda_wmma import declare, operands, tiles

MMA_HELPERS = r"""
#ifndef RTMS_EMULATOR
static __device__ __forceinline__ unsigned rtms_lane() {
  unsigned l; asm volatile("mov.u32 %0, %%laneid;\n" : "=r"(l)); return l;
}
static __device__ __forceinline__ void rtms_ldsm_x4(unsigned* r, const void* p) {
  unsigned s = (unsigned)__cvta_generic_to_shared(p);
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(s));
}
static __device__ __forceinline__ void rtms_ldsm_x4_trans(unsigned* r, const void* p) {
  unsigned s = (unsigned)__cvta_generic_to_shared(p);
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(s));
}
static __device__ __forceinline__ void rtms_mma_m16n8k16_f32(float* d, const unsigned* a, const unsigned* b) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, "
               "{%8, %9}, {%0, %1, %2, %3};\n"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
static __device__ __forceinline__ void rtms_mma_m16n8k16_f16(unsigned* d, const unsigned* a, const unsigned* b) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f16.f16.f16.f16 {%0, %1}, {%2, %3, %4, %5}, {%6, %7}, "
               "{%0, %1};\n"
               : "+r"(d[0]), "+r"(d[1]) : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
#endif
static __device__ __forceinline__ void rtms_mma_load_a(unsigned* r, const __half* tile, int ld) {
  unsigned lane = rtms_lane();
  rtms_ldsm_x4(r, tile + (lane % 16) * ld + (lane / 16) * 8);
}
static __device__ __forceinline__ void rtms_mma_load_b(unsigned* r, const __half* tile, int ld) {
  unsigned lane = rtms_lane();
  rtms_ldsm_x4_trans(r, tile + (lane % 16) * ld + (lane / 16) * 8);
}
static __device__ __forceinline__ void rtms_mma_load_b_trans(unsigned* r, const __half* tile, int ld) {
  unsigned lane = rtms_lane();
  rtms_ldsm_x4(r, tile + (8 * (lane / 16) + lane % 8) * ld + 8 * (lane / 8 % 2));
}
static __device__ __forceinline__ void rtms_mma_sync(float* c, const unsigned* a, const unsigned* b) {
  rtms_mma_m16n8k16_f32(c, a, b);
  rtms_mma_m16n8k16_f32(c + 4, a, b + 2);
}
static __device__ __forceinline__ void rtms_mma_fill(float* c) {
  for (int i = 0; i < 8; ++i) c[i] = 0.0f;
}
static __device__ __forceinline__ void rtms_mma_store(float* p, const float* c, int ld) {
  unsigned lane = rtms_lane(), g = lane / 4, t = lane % 4;
  for (int i = 0; i < 8; ++i) p[(g + 8 * (i % 4 / 2)) * ld + 8 * (i / 4) + 2 * t + i % 2] = c[i];
}
static __device__ __forceinline__ void rtms_mma_sync_f16(unsigned* c, const unsigned* a, const unsigned* b) {
  rtms_mma_m16n8k16_f16(c, a, b);
  rtms_mma_m16n8k16_f16(c + 2, a, b + 2);
}
static __device__ __forceinline__ void rtms_mma_fill_f16(unsigned* c) {
  for (int i = 0; i < 4; ++i) c[i] = 0u;
}
static __device__ __forceinline__ void rtms_mma_store_f16(__half* p, const unsigned* c, int ld) {
  unsigned lane = rtms_lane(), g = lane / 4, t = lane % 4;
  for (int i = 0; i < 8; ++i) {
    unsigned short bits = (unsigned short)(c[i / 2] >> 16 * (i % 2));
    p[(g + 8 * (i % 4 / 2)) * ld + 8 * (i / 4) + 2 * t + i % 2] = __ushort_as_half(bits);
  }
}
"""


def is_fragment(buffer) -> bool:
    return buffer.scope in MMA_SCOPES


def allocate(em, a) -> None:
    """Declare an mma fragment buffer as per-lane registers over its 16x16 tiles."""
    b = a.buffer
    shape, count = tiles(em, b)
    want = ("float32", "float16") if b.scope == MMA_SCOPES[2] else ("float16",)
    if b.dtype not in want:
        raise CodegenError(f"function {em.func.name!r}: {b.scope} fragment {b.name!r} holds "
                           f"{' or '.join(want)}, not {b.dtype}")
    name = em.names.get(b, b.name)
    em.uses_mma = True
    declare(em, a, shape, f"float {name}[{count}][8];" if b.dtype == "float32" else f"unsigned {name}[{count}][4];",
            "lane")


_CALLS = {"load_a": "rtms_mma_load_a({frag}, {ptr}, {ldm})", "load_b": "rtms_mma_load_b({frag}, {ptr}, {ldm})",
          "load_b_trans": "rtms_mma_load_b_trans({frag}, {ptr}, {ldm})",
          "store": "rtms_mma_store({ptr}, {frag}, {ldm})", "fill": "rtms_mma_fill({frag})",
          "mma": "rtms_mma_sync({c}, {a}, {b})"}
#: the fp16 accumulator's own helpers (its registers hold pairs of halves)
_CALLS_F16 = {**_CALLS, "store": "rtms_mma_store_f16({ptr}, {frag}, {ldm})", "fill": "rtms_mma_fill_f16({frag})",
              "mma": "rtms_mma_sync_f16({c}, {a}, {b})"}


def emit(em, f, intrin_name: str, impl) -> None:
    em.uses_mma = True
    args = operands(em, f, intrin_name, impl, MMA_SCOPES[:2])
    calls = _CALLS_F16 if impl.dtype == "float16" else _CALLS  # (loads are float16 either way: the same call)
    em.line(f"{calls[impl.op].format(**args)};")
