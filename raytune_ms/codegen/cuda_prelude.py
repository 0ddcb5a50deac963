"""Fixed CUDA C text of every generated file: integer types (NVRTC has no <stdint.h>, so they
are declared under NVRTC; nvcc, which users may take a kernel's source to, gets the host's
<stdint.h>), the constants, and the C prelude's helpers that the shared expression printer
calls."""

from __future__ import annotations

from .prelude import PRELUDE


def _device_helpers() -> str:
    """The C prelude's inline helpers (floor division, min/max/abs, rsqrt, sigmoid) as device
    functions: one text, so both back ends compute the same."""
    start = PRELUDE.index("static inline int64_t rtms_floordiv")
    end = PRELUDE.index("static inline void* rtms_alloc")
    return PRELUDE[start:end].replace("static inline", "static __device__ __forceinline__")


CUDA_PRELUDE = r"""
#ifdef __CUDACC_RTC__
typedef signed char int8_t;
typedef unsigned char uint8_t;
typedef short int16_t;
typedef unsigned short uint16_t;
typedef int int32_t;
typedef unsigned int uint32_t;
typedef long long int64_t;
typedef unsigned long long uint64_t;
#define INT64_C(x) x##LL
#else
#include <stdint.h>
#include <math.h>
#endif
#undef INFINITY
#undef NAN
#define INFINITY __int_as_float(0x7f800000)
#define NAN __int_as_float(0x7fffffff)
""" + _device_helpers()

FP16_INCLUDE = "#include <cuda_fp16.h>"
