"""Benchmark: this CPU's fp32 FMA peak, the ceiling any kernel (ours, TVM's, torch's) runs under.

A C loop, built for the host Target with the flags our kernels use, keeps as many independent
vector FMA chains as the Target has SIMD registers to spare (so that FMA latency is hidden
whatever the width: vector width and register count are read from the Target), on each of
`--threads` OpenMP threads. GFLOP/s = threads * chains * lanes * 2 * iterations / seconds, best
of `--rounds`. torch.matmul 1024^3 (2 threads) is timed in the same run when torch imports, as
the "what a tuned library reaches" anchor.

Prints JSON lines: the CPU (lscpu) and AVX-512, then {"fma_peak_gflops", "lanes", "chains",
"threads"} and, with torch, {"torch_matmul_1024_gflops", "of_peak"}.
Usage: python bench/fma_peak.py [--threads 2] [--rounds 5]
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import tempfile
import time

from suite_vs_torch import THREADS, cpu_info  # a sibling script (sets OMP_NUM_THREADS first)

from raytune_ms.runtime.compile import compile_c
from raytune_ms.target import Target

ITERATIONS = 20_000_000

SOURCE = """
#include <omp.h>
typedef float vec __attribute__((vector_size({vbytes})));
static vec chain(long n, float s) {{
  vec acc[{chains}];
  vec a = (vec){{0}} + s, b = (vec){{0}} + 0.999999f;
  for (int c = 0; c < {chains}; ++c) acc[c] = a + (float)c;
  for (long i = 0; i < n; ++i) {{
#pragma GCC unroll {chains}
    for (int c = 0; c < {chains}; ++c) acc[c] = acc[c] * b + a;
  }}
  vec r = acc[0];
  for (int c = 1; c < {chains}; ++c) r += acc[c];
  return r;
}}
float run(int threads, long n) {{
  float total = 0;
#pragma omp parallel num_threads(threads) reduction(+:total)
  {{ vec r = chain(n, 1e-3f * (1 + omp_get_thread_num())); total += r[0]; }}
  return total;
}}
"""


def fma_peak(threads: int, rounds: int, iterations: int = ITERATIONS) -> dict:
    """Best GFLOP/s of the FMA loop over `rounds` (see the module)."""
    target = Target("llvm")
    chains = max(target.vector_registers - 4, 4)  # leave registers for the two operands
    so = compile_c(SOURCE.format(vbytes=target.vector_bytes, chains=chains), target, "run")
    with tempfile.NamedTemporaryFile(suffix=".so", delete=False) as f:
        f.write(so)
    try:
        lib = ctypes.CDLL(f.name)
    finally:
        os.unlink(f.name)
    lib.run.argtypes, lib.run.restype = [ctypes.c_int, ctypes.c_long], ctypes.c_float
    lib.run(threads, iterations // 10)  # warm up the threads and the clock
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        lib.run(threads, iterations)
        best = min(best, time.perf_counter() - t0)
    flops = threads * chains * target.vector_lanes * 2 * iterations
    return {"fma_peak_gflops": round(flops / best / 1e9, 1), "lanes": target.vector_lanes,
            "chains": chains, "threads": threads}


def torch_matmul_gflops(rounds: int) -> float | None:
    """Best GFLOP/s of torch.matmul 1024^3 on THREADS threads, or None without torch."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(THREADS)
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    torch.matmul(a, b)
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(10):
            torch.matmul(a, b)
        best = min(best, (time.perf_counter() - t0) / 10)
    return round(2 * 1024**3 / best / 1e9, 1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=THREADS)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    print(json.dumps({"bench": "fma_peak", **cpu_info()}), flush=True)
    peak = fma_peak(args.threads, args.rounds)
    print(json.dumps(peak), flush=True)
    gflops = torch_matmul_gflops(args.rounds)
    if gflops is not None:
        print(json.dumps({"torch_matmul_1024_gflops": gflops,
                          "of_peak": round(gflops / peak["fma_peak_gflops"], 3)}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
