"""Run generated CUDA C on the CPU, for tests on machines without a GPU: the source is compiled
as C++ by g++ against a small shim (threadIdx/blockIdx thread-locals, one std::thread per CUDA
thread, __syncthreads as a barrier, warp shuffles through an exchange buffer and barriers, blocks
one after another so `__shared__` arrays may be statics, cp.async copies that land at a random
time before their wait, ldmatrix/mma.sync exchanging registers between a warp's lanes, and
optionally threads released from barriers one after another: `stagger_us`). Slow: meant for small sizes. It checks
the generator's semantics (indices, launch grid, syncs, cross-thread reductions), not timing."""

from __future__ import annotations

import ctypes
import os
import re
import subprocess
import tempfile

import numpy as np

SHIM = r"""
#define RTMS_EMULATOR 1
#include <cstdint>
#include <cmath>
#include <cstring>
#include <barrier>
#include <thread>
#include <chrono>
#include <memory>
#include <vector>
#include <utility>
struct rtms_dim3 { unsigned x, y, z; };
struct rtms_int2 { int x, y; }; struct rtms_int4 { int x, y, z, w; };
struct rtms_float2 { float x, y; }; struct rtms_float4 { float x, y, z, w; };
#define int2 rtms_int2
#define int4 rtms_int4
#define float2 rtms_float2
#define float4 rtms_float4
static thread_local rtms_dim3 threadIdx, blockIdx;
static rtms_dim3 blockDim, gridDim;
static std::barrier<>* rtms_bar;
static unsigned char rtms_xchg[1024 * 8];
#define __global__
#define __device__
#define __forceinline__ inline
#define __restrict__ __restrict
#define __launch_bounds__(n)
#define __align__(n) __attribute__((aligned(n)))
#define __shared__ static
typedef _Float16 __half;
static inline float __half2float(__half x) { return (float)x; }
static inline __half __float2half(float x) { return (__half)x; }
static inline __half __ushort_as_half(unsigned short x) { __half h; std::memcpy(&h, &x, 2); return h; }
static inline float __int_as_float(int x) { float f; std::memcpy(&f, &x, 4); return f; }
static inline int rtms_tid() { return threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z); }
static std::barrier<>* rtms_warp_bars[32];
static int rtms_stagger_us = 0;
extern "C" void rtms_set_stagger(int us) { rtms_stagger_us = us; }
// with a stagger, thread t leaves each __syncthreads t * stagger microseconds late: thread 0 runs
// ahead, so a write into shared memory that another thread has yet to read shows (a missing barrier)
static inline void __syncthreads() {
  rtms_bar->arrive_and_wait();
  if (rtms_stagger_us && rtms_tid())
    std::this_thread::sleep_for(std::chrono::microseconds(rtms_stagger_us * rtms_tid()));
}
static inline void rtms_warp_sync() { rtms_warp_bars[rtms_tid() / 32]->arrive_and_wait(); }
template <class T> static T rtms_exchange(T v, int from) {
  std::memcpy(rtms_xchg + sizeof(T) * rtms_tid(), &v, sizeof(T));
  rtms_bar->arrive_and_wait();
  T out; std::memcpy(&out, rtms_xchg + sizeof(T) * from, sizeof(T));
  rtms_bar->arrive_and_wait();
  return out;
}
template <class T> static T __shfl_down_sync(unsigned, T v, int off, int width) {
  int tid = rtms_tid(), lane = tid % 32 % width;
  return rtms_exchange(v, lane + off < width ? tid + off : tid);
}
template <class T> static T __shfl_sync(unsigned, T v, int src, int width) {
  int tid = rtms_tid();
  return rtms_exchange(v, tid - tid % 32 % width + src);
}
namespace nvcuda { namespace wmma {  // each lane holds a whole 16x16 tile and computes it all
struct matrix_a {}; struct matrix_b {}; struct accumulator {}; struct row_major {}; struct col_major {};
enum layout_t { mem_row_major, mem_col_major };
template <class U, int M, int N, int K, class T, class L = void> struct fragment { T x[256]; };
template <class U, class T, class L>
static void load_matrix_sync(fragment<U, 16, 16, 16, T, L>& f, const T* p, unsigned ldm) {
  for (int r = 0; r < 16; ++r) for (int c = 0; c < 16; ++c) f.x[r * 16 + c] = p[r * ldm + c];
}
template <class T>  // col_major B: element (k, n) at p[n * ldm + k]
static void load_matrix_sync(fragment<matrix_b, 16, 16, 16, T, col_major>& f, const T* p, unsigned ldm) {
  for (int k = 0; k < 16; ++k) for (int n = 0; n < 16; ++n) f.x[k * 16 + n] = p[n * ldm + k];
}
template <class T>
static void store_matrix_sync(T* p, const fragment<accumulator, 16, 16, 16, T>& f, unsigned ldm, layout_t) {
  for (int r = 0; r < 16; ++r) for (int c = 0; c < 16; ++c) p[r * ldm + c] = f.x[r * 16 + c];
}
template <class T, class V> static void fill_fragment(fragment<accumulator, 16, 16, 16, T>& f, V v) {
  for (int i = 0; i < 256; ++i) f.x[i] = (T)v;
}
template <class T, class LA, class LB>
static void mma_sync(fragment<accumulator, 16, 16, 16, T>& d, const fragment<matrix_a, 16, 16, 16, __half, LA>& a,
                     const fragment<matrix_b, 16, 16, 16, __half, LB>& b,
                     const fragment<accumulator, 16, 16, 16, T>& c) {
  T out[256];
  for (int i = 0; i < 16; ++i) for (int j = 0; j < 16; ++j) {
    float s = (float)c.x[i * 16 + j];
    for (int k = 0; k < 16; ++k) s += (float)a.x[i * 16 + k] * (float)b.x[k * 16 + j];
    out[i * 16 + j] = (T)s;
  }
  for (int i = 0; i < 256; ++i) d.x[i] = out[i];
}
} }
// mma.sync / ldmatrix, as the PTX ISA defines them per lane (groupID = lane / 4, t = lane % 4); the
// lanes of a warp exchange what they hold through these arrays between two warp barriers
static const void* rtms_rows[1024];
static unsigned rtms_frag_a[1024][4], rtms_frag_b[1024][2];
static unsigned rtms_lane() { return (unsigned)rtms_tid() % 32; }
static unsigned rtms_pack(__half lo, __half hi) {
  uint16_t l, h; std::memcpy(&l, &lo, 2); std::memcpy(&h, &hi, 2); return (unsigned)l | (unsigned)h << 16;
}
static float rtms_half_of(unsigned r, int h) {
  uint16_t bits = (uint16_t)(r >> (16 * h)); __half x; std::memcpy(&x, &bits, 2); return (float)x;
}
// ldmatrix.m8n8.x4.b16: lanes 8m..8m+7 name the rows of matrix m; lane l receives, in register m,
// row l / 4, columns 2 (l % 4) + {0, 1} of it (.trans: rows 2 (l % 4) + {0, 1}, column l / 4)
static void rtms_ldsm(unsigned* r, const void* p, bool trans) {
  int tid = rtms_tid(), warp = tid - tid % 32, lane = tid % 32;
  rtms_rows[tid] = p;
  rtms_warp_sync();
  for (int m = 0; m < 4; ++m) {
    __half e[2];
    for (int h = 0; h < 2; ++h)
      e[h] = trans ? ((const __half*)rtms_rows[warp + 8 * m + 2 * (lane % 4) + h])[lane / 4]
                   : ((const __half*)rtms_rows[warp + 8 * m + lane / 4])[2 * (lane % 4) + h];
    r[m] = rtms_pack(e[0], e[1]);
  }
  rtms_warp_sync();
}
static void rtms_ldsm_x4(unsigned* r, const void* p) { rtms_ldsm(r, p, false); }
static void rtms_ldsm_x4_trans(unsigned* r, const void* p) { rtms_ldsm(r, p, true); }
// mma.m16n8k16.row.col.f32.f16.f16.f32: A's a_i (i = 0..7, register i / 2) is row g + 8 ((i / 2) % 2),
// column 2t + i % 2 + 8 (i / 4); B's b_i (register i / 2) row 2t + i % 2 + 8 (i / 2), column g;
// C's c_i row g + 8 (i / 2), column 2t + i % 2
static void rtms_mma_m16n8k16_f32(float* d, const unsigned* a, const unsigned* b) {
  int tid = rtms_tid(), warp = tid - tid % 32, lane = tid % 32;
  std::memcpy(rtms_frag_a[tid], a, 16); std::memcpy(rtms_frag_b[tid], b, 8);
  rtms_warp_sync();
  float A[16][16], B[16][8];
  for (int L = 0; L < 32; ++L) {
    int g = L / 4, t = L % 4;
    for (int i = 0; i < 8; ++i)
      A[g + 8 * (i / 2 % 2)][2 * t + i % 2 + 8 * (i / 4)] = rtms_half_of(rtms_frag_a[warp + L][i / 2], i % 2);
    for (int i = 0; i < 4; ++i)
      B[2 * t + i % 2 + 8 * (i / 2)][g] = rtms_half_of(rtms_frag_b[warp + L][i / 2], i % 2);
  }
  rtms_warp_sync();
  int g = lane / 4, t = lane % 4;
  for (int i = 0; i < 4; ++i) {
    float s = d[i];
    for (int k = 0; k < 16; ++k) s += A[g + 8 * (i / 2)][k] * B[k][2 * t + i % 2];
    d[i] = s;
  }
}
// mma.m16n8k16.row.col.f16.f16.f16.f16: C's c_i as above, two halves per register (c_2r, c_2r+1 in r);
// the products are summed in float and rounded to half once per instruction
static void rtms_mma_m16n8k16_f16(unsigned* d, const unsigned* a, const unsigned* b) {
  float c[4];
  for (int i = 0; i < 4; ++i) c[i] = rtms_half_of(d[i / 2], i % 2);
  rtms_mma_m16n8k16_f32(c, a, b);
  for (int r = 0; r < 2; ++r) d[r] = rtms_pack((__half)c[2 * r], (__half)c[2 * r + 1]);
}
// cp.async: a copy lands at any time before the wait that covers its group. Each copy lands either
// at once or only at that wait (a per-thread pseudo-random choice), so a reader that does not wait
// or a writer that overwrites a tile still being read is caught.
struct rtms_copy { void* dst; const void* src; int bytes; };
static thread_local std::vector<rtms_copy> rtms_open;
static thread_local std::vector<std::vector<rtms_copy>> rtms_groups;
static thread_local unsigned rtms_seed = 0;
template <int N> static void rtms_cp_async(void* dst, const void* src) {
  if (rtms_seed == 0) rtms_seed = 0x9e3779b9u ^ (unsigned)(rtms_tid() + 1) * 2654435761u ^ blockIdx.x * 40503u;
  rtms_seed ^= rtms_seed << 13; rtms_seed ^= rtms_seed >> 17; rtms_seed ^= rtms_seed << 5;
  if (rtms_seed & 1) std::memcpy(dst, src, N);
  else rtms_open.push_back({dst, src, N});
}
template <int N> static void rtms_cp_async_zfill(void* dst, const void* src, bool full) {
  static const char zeros[16] = {};  // src-size 0: the zeros land like a copy, src is not read
  rtms_cp_async<N>(dst, full ? src : zeros);
}
static void rtms_cp_async_commit() { rtms_groups.push_back(std::move(rtms_open)); rtms_open.clear(); }
template <int N> static void rtms_cp_async_wait() {
  while (rtms_groups.size() > (std::size_t)N) {
    for (auto& c : rtms_groups.front()) std::memcpy(c.dst, c.src, c.bytes);
    rtms_groups.erase(rtms_groups.begin());
  }
}
template <class... A, std::size_t... I>
static void rtms_call(void (*f)(A...), void** a, std::index_sequence<I...>) { f(static_cast<A>(a[I])...); }
template <class... A>
static void rtms_launch(void (*f)(A...), void** a, const unsigned* g, const unsigned* b) {
  gridDim = {g[0], g[1], g[2]}; blockDim = {b[0], b[1], b[2]};
  unsigned n = b[0] * b[1] * b[2];
  for (unsigned bz = 0; bz < g[2]; ++bz) for (unsigned by = 0; by < g[1]; ++by) for (unsigned bx = 0; bx < g[0]; ++bx) {
    std::barrier<> bar(n); rtms_bar = &bar;
    std::vector<std::unique_ptr<std::barrier<>>> warps;
    for (unsigned w = 0; w * 32 < n; ++w) {
      warps.push_back(std::make_unique<std::barrier<>>(std::min(32u, n - 32 * w)));
      rtms_warp_bars[w] = warps.back().get();
    }
    std::vector<std::thread> ts;
    for (unsigned t = 0; t < n; ++t)
      ts.emplace_back([=] { blockIdx = {bx, by, bz}; threadIdx = {t % b[0], t / b[0] % b[1], t / (b[0] * b[1])};
                            rtms_call(f, a, std::index_sequence_for<A...>{}); });
    for (auto& th : ts) th.join();
  }
}
"""


def _device_source(source: str) -> str:
    drop = re.compile(r"^(typedef .*int\d+_t;|#define (INT64_C|INFINITY|NAN)\b.*|#undef (INFINITY|NAN)|"
                      r"#include <(cuda_fp16|mma)\.h>)$")
    return "\n".join(line for line in source.splitlines() if not drop.match(line))


class EmulatedModule:
    """`mod(*arrays)` runs the artifact's kernels in order on numpy arrays (one per parameter)."""

    def __init__(self, artifact, workdir: str | None = None, stagger_us: int = 0):
        self.artifact = artifact
        self._dir = tempfile.TemporaryDirectory() if workdir is None else None
        d = workdir or self._dir.name
        launchers = [
            f'extern "C" void rtms_run_{i}(void** a, const unsigned* g, const unsigned* b) '
            f"{{ rtms_launch({k.name}, a, g, b); }}"
            for i, k in enumerate(artifact.kernels)
        ]
        text = SHIM + _device_source(artifact.source) + "\n" + "\n".join(launchers) + "\n"
        src, so = os.path.join(d, "emu.cpp"), os.path.join(d, "emu.so")
        with open(src, "w") as f:
            f.write(text)
        proc = subprocess.run(["g++", "-O1", "-std=c++20", "-pthread", "-shared", "-fPIC", "-w", src, "-o", so],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"emulator build of {artifact.func_name!r} failed:\n{proc.stderr[-4000:]}")
        self._lib = ctypes.CDLL(so)
        self._lib.rtms_set_stagger(int(stagger_us))

    def __call__(self, *arrays):
        art = self.artifact
        if len(arrays) != len(art.params):
            raise TypeError(f"{art.func_name!r} takes {len(art.params)} arrays, got {len(arrays)}")
        for a, (name, shape, dtype) in zip(arrays, art.params):
            if tuple(a.shape) != tuple(shape) or a.dtype != np.dtype(dtype) or not a.flags.c_contiguous:
                raise ValueError(f"parameter {name!r}: expected a contiguous {dtype} array of shape {shape}")
        spaces = [np.zeros(max(2, (n + 15) // 8), np.float64) for _, n in art.workspaces]
        for i, k in enumerate(art.kernels):
            ptrs = [(arrays[j] if kind == "param" else spaces[j]).ctypes.data for kind, j in k.args]
            argv = (ctypes.c_void_p * max(1, len(ptrs)))(*ptrs)
            dims = [(ctypes.c_uint * 3)(*k.grid), (ctypes.c_uint * 3)(*k.block)]
            getattr(self._lib, f"rtms_run_{i}")(argv, *dims)
