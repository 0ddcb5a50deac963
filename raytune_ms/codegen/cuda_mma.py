"""CUDA C of tensorized regions whose intrinsic is an mma.sync `MmaImpl`
(tir/tensor_intrin/cuda_mma.py). A "m16n8k16.matrixA/B" fragment buffer is, per lane of the
warp, 4 registers of two halves per 16x16 tile, and a "m16n8k16.matrixC" one 8 floats per tile
(two m16n8 accumulators), laid out as the PTX ISA says for mma.m16n8k16 (groupID = lane / 4,
t = lane % 4):

- A: register r holds row groupID + 8 * (r % 2), columns 2t + {0, 1} + 8 * (r / 2);
- B (16x16 as two 16x8 halves n = 0, 1): register 2n + r holds rows (k) 2t + {0, 1} + 8r of
  column (n) 8n + groupID;
- C: float 4n + i holds row groupID + 8 * (i / 2), column 8n + 2t + i % 2.

Loads are `ldmatrix.x4` (lane l names row l % 16, column (l / 16) * 8 of the tile; B with
.trans), the product two `mma.sync.m16n8k16.row.col.f32.f16.f16.f32`, the store writes each
lane's floats to their positions. The instructions are three helpers (`rtms_ldsm_x4`,
`rtms_ldsm_x4_trans`, `rtms_mma_m16n8k16_f32`); the CPU emulator implements exactly those, so the
rest of MMA_HELPERS (the lane addressing) is what both run. Fragment addressing (a tile per 16x16
region) is cuda_wmma's."""

from __future__ import annotations

from ..tir import BufferLoad, collect
from ..tir.tensor_intrin.cuda_mma import MMA_SCOPES
from .c_expr import CodegenError
from .cuda_wmma import _Region
from .names import comment

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
#endif
static __device__ __forceinline__ void rtms_mma_load_a(unsigned* r, const __half* tile, int ld) {
  unsigned lane = rtms_lane();
  rtms_ldsm_x4(r, tile + (lane % 16) * ld + (lane / 16) * 8);
}
static __device__ __forceinline__ void rtms_mma_load_b(unsigned* r, const __half* tile, int ld) {
  unsigned lane = rtms_lane();
  rtms_ldsm_x4_trans(r, tile + (lane % 16) * ld + (lane / 16) * 8);
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
"""


def is_fragment(buffer) -> bool:
    return buffer.scope in MMA_SCOPES


def allocate(em, a) -> None:
    """Declare an mma fragment buffer as per-lane registers over its 16x16 tiles."""
    b = a.buffer
    shape = [int(getattr(d, "value", d)) for d in b.shape]
    if len(shape) < 2 or shape[-1] % 16 or shape[-2] % 16:
        raise CodegenError(f"function {em.func.name!r}: fragment buffer {b.name!r} has shape {shape}; its last "
                           "two dimensions must be multiples of 16")
    want = "float32" if b.scope == MMA_SCOPES[2] else "float16"
    if b.dtype != want:
        raise CodegenError(f"function {em.func.name!r}: {b.scope} fragment {b.name!r} holds {want}, not {b.dtype}")
    count = (shape[-2] // 16) * (shape[-1] // 16)
    for d in shape[:-2]:
        count *= d
    name = em.names.get(b, b.name)
    em.uses_mma = True
    em.line("{")
    em.depth += 1
    em.line(f"/* {b.scope} fragments {comment(b.name)} {shape}: per lane */")
    decl = f"float {name}[{count}][8]" if want == "float32" else f"unsigned {name}[{count}][4]"
    em.line(f"{decl};")
    em.fragments[id(b)] = (name, shape)
    em.stmt(a.body)
    del em.fragments[id(b)]
    em.depth -= 1
    em.line("}")


def emit(em, f, intrin_name: str, impl) -> None:
    reg = _Region(em, f)
    s = reg.store
    em.uses_mma = True
    em.line(f"/* {comment(intrin_name)} */")
    if impl.op in ("load_a", "load_b"):
        if not isinstance(s.value, BufferLoad):
            raise CodegenError(f"function {em.func.name!r}: {reg.where}: a fragment load must copy a buffer")
        ptr, ldm = reg.memory(s.value.buffer, s.value.indices, "read")
        em.line(f"rtms_mma_{impl.op}({reg.fragment(s.buffer, s.indices)}, {ptr}, {ldm});")
    elif impl.op == "store":
        ptr, ldm = reg.memory(s.buffer, s.indices, "written")
        em.line(f"rtms_mma_store({ptr}, {reg.fragment(s.value.buffer, s.value.indices)}, {ldm});")
    elif impl.op == "fill":
        em.line(f"rtms_mma_fill({reg.fragment(s.buffer, s.indices)});")
    elif impl.op == "mma":
        loads = {ld.buffer.scope: ld for ld in collect(s.value, BufferLoad)}
        a, b = loads[MMA_SCOPES[0]], loads[MMA_SCOPES[1]]
        em.line(f"rtms_mma_sync({reg.fragment(s.buffer, s.indices)}, {reg.fragment(a.buffer, a.indices)}, "
                f"{reg.fragment(b.buffer, b.indices)});")
    else:
        raise CodegenError(f"function {em.func.name!r}: {reg.where}: unknown mma op {impl.op!r}")
