"""Fixed C text of every generated file: headers, small inline helpers, the timing harness.

Helper names start with `rtms_`, a prefix no sanitised user name can take (see names.py).
"""

from __future__ import annotations

PRELUDE = r"""
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <unistd.h>

static inline int64_t rtms_floordiv(int64_t a, int64_t b) {
  int64_t q = a / b, r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? q - 1 : q;
}
static inline int64_t rtms_floormod(int64_t a, int64_t b) {
  int64_t r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}
#define RTMS_MINMAX(S, T) \
  static inline T rtms_min_##S(T a, T b) { return a < b ? a : b; } \
  static inline T rtms_max_##S(T a, T b) { return a > b ? a : b; } \
  static inline T rtms_abs_##S(T a) { return a < 0 ? -a : a; }
RTMS_MINMAX(i8, int8_t)
RTMS_MINMAX(u8, uint8_t)
RTMS_MINMAX(i16, int16_t)
RTMS_MINMAX(i32, int32_t)
RTMS_MINMAX(i64, int64_t)
RTMS_MINMAX(f32, float)
RTMS_MINMAX(f64, double)
static inline float rtms_rsqrtf(float x) { return 1.0f / sqrtf(x); }
static inline double rtms_rsqrt(double x) { return 1.0 / sqrt(x); }
static inline float rtms_sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }
static inline double rtms_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }
static inline void* rtms_alloc(size_t bytes) {
  return aligned_alloc(64, (bytes + 63) / 64 * 64);
}
"""

# The harness times `number` back-to-back calls per repeat (one untimed warm-up call first).
# When `number` calls take less than min_repeat_ms, number grows (by the ratio still missing,
# at least by the golden ratio) and the repeat is measured again; the grown number is kept for
# the following repeats. With `flush`, a buffer larger than the last-level cache is read
# before every call, outside the timed interval.
HARNESS = r"""
static double rtms_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static volatile float rtms_flush_sink;

static void rtms_flush(const float* buf, size_t n) {
  float acc = 0.0f;
  for (size_t i = 0; i < n; i += 16) acc += buf[i];
  rtms_flush_sink = acc;
}

static size_t rtms_flush_elems(void) {
  long llc = -1;
#ifdef _SC_LEVEL3_CACHE_SIZE
  llc = sysconf(_SC_LEVEL3_CACHE_SIZE);
#endif
  if (llc <= 0) llc = 32L << 20;
  return (size_t)(2 * llc) / sizeof(float);
}

int32_t @SYM@_time(void** rtms_args, int32_t rtms_number, int32_t rtms_repeat, int32_t rtms_min_ms,
                   int32_t rtms_do_flush, double* rtms_out) {
  if (rtms_number < 1 || rtms_repeat < 1) return -2;
  float* rtms_fbuf = NULL;
  size_t rtms_fn = 0;
  if (rtms_do_flush) {
    rtms_fn = rtms_flush_elems();
    rtms_fbuf = (float*)malloc(rtms_fn * sizeof(float));
    if (!rtms_fbuf) return -1;
    memset(rtms_fbuf, 1, rtms_fn * sizeof(float)); /* real pages, not the shared zero page */
  }
  /* called through a volatile pointer: gcc must not inline the kernel into the timing loop
     and merge the calls */
  int32_t (*volatile rtms_kern)(void**) = @SYM@;
  int32_t rtms_rc = rtms_kern(rtms_args);
  int64_t rtms_n = rtms_number;
  for (int32_t rtms_r = 0; rtms_r < rtms_repeat && rtms_rc == 0; ++rtms_r) {
    for (;;) {
      double rtms_total = 0.0;
      if (rtms_do_flush) {
        for (int64_t rtms_i = 0; rtms_i < rtms_n && rtms_rc == 0; ++rtms_i) {
          rtms_flush(rtms_fbuf, rtms_fn);
          double rtms_t0 = rtms_now();
          rtms_rc = rtms_kern(rtms_args);
          rtms_total += rtms_now() - rtms_t0;
        }
      } else {
        double rtms_t0 = rtms_now();
        for (int64_t rtms_i = 0; rtms_i < rtms_n && rtms_rc == 0; ++rtms_i) rtms_rc = rtms_kern(rtms_args);
        rtms_total = rtms_now() - rtms_t0;
      }
      double rtms_ms = rtms_total * 1e3;
      if (rtms_rc != 0 || rtms_ms >= (double)rtms_min_ms || rtms_n >= ((int64_t)1 << 40)) {
        rtms_out[rtms_r] = rtms_total / (double)rtms_n;
        break;
      }
      double rtms_want = rtms_ms > 0.0 ? (double)rtms_min_ms / (rtms_ms / (double)rtms_n) : (double)rtms_n * 1.618;
      int64_t rtms_grown = (int64_t)(rtms_want + 1.0);
      int64_t rtms_golden = (int64_t)((double)rtms_n * 1.618) + 1;
      rtms_n = rtms_grown > rtms_golden ? rtms_grown : rtms_golden;
    }
  }
  free(rtms_fbuf);
  return rtms_rc;
}
"""


def harness(symbol: str) -> str:
    return HARNESS.replace("@SYM@", symbol)
