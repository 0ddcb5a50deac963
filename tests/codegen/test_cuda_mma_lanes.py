"""The mma.sync helpers of codegen/cuda_mma.py, lane by lane: one warp loads a 16x16 A and B
tile from shared memory with ldmatrix (row stride 24, not 16), multiplies them with two
mma.sync.m16n8k16 and stores the accumulator; every lane's registers after each step are
compared with the fragment layouts of the PTX ISA, written out here in numpy, and the product
with A @ B. B is also loaded from its transpose (a tile stored [n, k], ldmatrix without .trans):
the same registers, and the same product. With fp16 accumulation (mma.sync...f16.f16.f16.f16)
the accumulator's registers hold C's fragment as pairs of halves, and its store writes the
rounded product. Runs in the CUDA emulator (its ldmatrix/mma.sync model); NVRTC's PTX for
compute_80 holds the instructions."""

import shutil

import numpy as np
import pytest

from raytune_ms.codegen.cuda_artifact import CudaArtifact, KernelLaunch
from raytune_ms.codegen.cuda_mma import MMA_HELPERS
from raytune_ms.codegen.cuda_prelude import CUDA_PRELUDE, FP16_INCLUDE
from raytune_ms.runtime.nvrtc import compile_cuda, nvrtc_available

KERNEL = r"""
static __device__ __forceinline__ float rtms_half_at(unsigned r, int h) {
  __half x[2]; memcpy(x, &r, 4); return __half2float(x[h]);
}
extern "C" __global__ void lanes_kernel0(__half* A, __half* B, __half* BT, float* ra, float* rb, float* rc,
                                         float* D, float* rbt, float* DT, float* rc16, __half* D16) {
  __shared__ __align__(32) __half sA[16 * 24];
  __shared__ __align__(32) __half sB[16 * 24];
  __shared__ __align__(32) __half sBT[16 * 24];
  int lane = threadIdx.x;
  for (int i = lane; i < 256; i += 32) {
    sA[i / 16 * 24 + i % 16] = A[i]; sB[i / 16 * 24 + i % 16] = B[i]; sBT[i / 16 * 24 + i % 16] = BT[i];
  }
  __syncthreads();
  unsigned a[4], b[4], bt[4];
  float c[8];
  rtms_mma_load_a(a, sA, 24);
  rtms_mma_load_b(b, sB, 24);
  for (int r = 0; r < 4; ++r)
    for (int h = 0; h < 2; ++h) {
      ra[lane * 8 + 2 * r + h] = rtms_half_at(a[r], h);
      rb[lane * 8 + 2 * r + h] = rtms_half_at(b[r], h);
    }
  rtms_mma_fill(c);
  rtms_mma_sync(c, a, b);
  for (int i = 0; i < 8; ++i) rc[lane * 8 + i] = c[i];
  rtms_mma_store(D, c, 16);
  rtms_mma_load_b_trans(bt, sBT, 24);
  for (int r = 0; r < 4; ++r)
    for (int h = 0; h < 2; ++h) rbt[lane * 8 + 2 * r + h] = rtms_half_at(bt[r], h);
  rtms_mma_fill(c);
  rtms_mma_sync(c, a, bt);
  rtms_mma_store(DT, c, 16);
  unsigned c16[4];
  rtms_mma_fill_f16(c16);
  rtms_mma_sync_f16(c16, a, b);
  for (int i = 0; i < 8; ++i) rc16[lane * 8 + i] = rtms_half_at(c16[i / 2], i % 2);
  rtms_mma_store_f16(D16, c16, 16);
}
"""
SOURCE = "\n".join([FP16_INCLUDE, CUDA_PRELUDE, MMA_HELPERS, KERNEL])


def _expected(a, b):
    """Per lane, the PTX ISA's fragments of mma.m16n8k16 (f16 A, B; f32 C), groupID g, t."""
    d = a.astype(np.float64) @ b.astype(np.float64)
    ra, rb, rc = (np.zeros((32, 8)) for _ in range(3))
    for lane in range(32):
        g, t = lane // 4, lane % 4
        for r in range(4):  # A: a_{2r+h}
            for h in range(2):
                ra[lane, 2 * r + h] = a[g + 8 * (r % 2), 2 * t + h + 8 * (r // 2)]
                n, j = r // 2, r % 2  # B, 16x8 half n: b_{2j+h}
                rb[lane, 2 * r + h] = b[2 * t + h + 8 * j, 8 * n + g]
        for i in range(8):  # C, 16x8 half n: c_j
            n, j = i // 4, i % 4
            rc[lane, i] = d[g + 8 * (j // 2), 8 * n + 2 * t + j % 2]
    return ra, rb, rc, d


@pytest.mark.skipif(shutil.which("g++") is None, reason="the CUDA emulator needs g++")
def test_ldmatrix_and_mma_sync_fragments_lane_by_lane():
    from raytune_ms.testing.cuda_emulator import EmulatedModule

    rng = np.random.default_rng(0)
    a, b = ((rng.standard_normal((16, 16)) * 0.5).astype(np.float16) for _ in range(2))
    frags, tile = (lambda: np.zeros((32, 8), np.float32)), (lambda: np.zeros((16, 16), np.float32))
    out = [frags(), frags(), frags(), tile(), frags(), tile(), frags(), np.zeros((16, 16), np.float16)]
    params = [(n, (16, 16), "float16") for n in ("A", "B", "BT")]
    params += [(n, (32, 8), "float32") for n in ("ra", "rb", "rc")]
    params += [("D", (16, 16), "float32"), ("rbt", (32, 8), "float32"), ("DT", (16, 16), "float32")]
    params += [("rc16", (32, 8), "float32"), ("D16", (16, 16), "float16")]
    art = CudaArtifact("lanes", params, [], [KernelLaunch("lanes_kernel0", (1, 1, 1), (32, 1, 1),
                                                          [("param", i) for i in range(11)])], SOURCE)
    EmulatedModule(art)(a, b, np.ascontiguousarray(b.T), *out)
    ra, rb, rc, d = _expected(a, b)
    np.testing.assert_array_equal(out[0], ra)
    np.testing.assert_array_equal(out[1], rb)
    np.testing.assert_allclose(out[2], rc, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out[3], d, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(out[4], rb)  # B's registers, from its [n, k] transpose
    np.testing.assert_allclose(out[5], d, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out[6], rc, rtol=1e-3, atol=1e-3)  # fp16 accumulation: C's fragment, halves
    np.testing.assert_array_equal(out[6], out[6].astype(np.float16))
    np.testing.assert_allclose(out[7].astype(np.float64), d, rtol=2e-3, atol=2e-3)  # its store: D in halves


@pytest.mark.skipif(not nvrtc_available(), reason="NVRTC not installed (pip install nvidia-cuda-nvrtc-cu12)")
def test_the_helpers_compile_to_ldmatrix_and_mma_sync():
    text = compile_cuda(SOURCE, "compute_80", "lanes")[0].decode()
    assert text.count("ldmatrix.sync.aligned.m8n8.x4.shared.b16") == 2  # A, and B from [n, k]
    assert text.count("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16") == 1
    assert text.count("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32") == 4
    assert text.count("mma.sync.aligned.m16n8k16.row.col.f16.f16.f16.f16") == 2
