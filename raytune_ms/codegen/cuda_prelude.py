"""Fixed CUDA C text of every generated file: integer types (NVRTC has no <stdint.h>), the
constants and the small helpers the shared expression printer calls (same semantics as the C
prelude's)."""

from __future__ import annotations

CUDA_PRELUDE = r"""
typedef signed char int8_t;
typedef unsigned char uint8_t;
typedef short int16_t;
typedef unsigned short uint16_t;
typedef int int32_t;
typedef unsigned int uint32_t;
typedef long long int64_t;
typedef unsigned long long uint64_t;
#define INT64_C(x) x##LL
#define INFINITY __int_as_float(0x7f800000)
#define NAN __int_as_float(0x7fffffff)

static __device__ __forceinline__ int64_t rtms_floordiv(int64_t a, int64_t b) {
  int64_t q = a / b, r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? q - 1 : q;
}
static __device__ __forceinline__ int64_t rtms_floormod(int64_t a, int64_t b) {
  int64_t r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}
#define RTMS_MINMAX(S, T) \
  static __device__ __forceinline__ T rtms_min_##S(T a, T b) { return a < b ? a : b; } \
  static __device__ __forceinline__ T rtms_max_##S(T a, T b) { return a > b ? a : b; } \
  static __device__ __forceinline__ T rtms_abs_##S(T a) { return a < 0 ? -a : a; }
RTMS_MINMAX(i8, int8_t)
RTMS_MINMAX(u8, uint8_t)
RTMS_MINMAX(i16, int16_t)
RTMS_MINMAX(i32, int32_t)
RTMS_MINMAX(i64, int64_t)
RTMS_MINMAX(f32, float)
RTMS_MINMAX(f64, double)
static __device__ __forceinline__ float rtms_rsqrtf(float x) { return 1.0f / sqrtf(x); }
static __device__ __forceinline__ double rtms_rsqrt(double x) { return 1.0 / sqrt(x); }
static __device__ __forceinline__ float rtms_sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }
static __device__ __forceinline__ double rtms_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }
"""

FP16_INCLUDE = "#include <cuda_fp16.h>"
