"""Benchmark: the best tuned kernels of suite ops timed on cache-line-aligned arguments (what the
runner and the suite hand kernels now, as TVM's NDArray and torch do) against numpy's default
allocation (16-byte aligned; a large array starts 16 bytes past a page, so every 64-byte vector
load straddles two cache lines; here every argument is placed so), side by side in one process.

For each `--op NAME=WORK_DIR` (a `raytune-ms tune` work dir holding that op's records): build
its best schedule, check it against numpy on both argument sets, then time it in `--rounds`
alternating rounds (each: min of 5 repeats of >= 100 ms, the artifact's own harness) on each
set. Prints JSON lines: the CPU (lscpu) and the load average, then per op
{"op", "aligned_ms", "numpy_ms" (medians over rounds), their minima, "speed" (numpy / aligned),
"offsets" (data address mod 64 of each argument), "correct"}, and the load average at the end.

Usage: python bench/aligned_args.py --op DEP=/tmp/dep --op C2D=/tmp/c2d [--rounds 7]
       [--target "llvm -num-cores=1"]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics

from suite_vs_torch import TARGET, cpu_info  # a sibling script (sets OMP_NUM_THREADS first)

import raytune_ms as ms  # noqa: E402
from raytune_ms import workloads  # noqa: E402
from raytune_ms.database import Database  # noqa: E402
from raytune_ms.runtime import aligned_empty  # noqa: E402

RETIME = dict(number=1, repeat=5, min_repeat_ms=100)


def numpy_default(array, offset: int = 16):
    """A copy whose data starts `offset` bytes past a cache line: where numpy's allocator puts a
    large array (glibc mmap), as the arguments were before; small ones vary from run to run."""
    raw = aligned_empty(array.nbytes + offset, "uint8")
    out = raw[offset:].view(array.dtype).reshape(array.shape)
    out[...] = array
    return out


def one_op(name: str, work_dir: str, rounds: int, target: str) -> dict:
    wl = workloads.get(name, "standard")
    sch = ms.compile_tir(Database.create("parquet", work_dir=work_dir), wl.func, TARGET)  # as tuned
    kernel = ms.build(sch.mod, target)
    sides = {"aligned": wl.make_inputs(seed=1)}
    sides["numpy"] = [numpy_default(a) for a in sides["aligned"]]
    correct = True
    for arrays in sides.values():
        kernel(*arrays)
        correct = correct and bool(wl.compare(arrays)[0])
    times = {side: [] for side in sides}
    for _ in range(rounds):
        for side, arrays in sides.items():
            times[side].append(min(kernel.time(*arrays, **RETIME)) * 1e3)
    med = {side: statistics.median(t) for side, t in times.items()}
    return {"op": name, "aligned_ms": med["aligned"], "numpy_ms": med["numpy"],
            "aligned_min_ms": min(times["aligned"]), "numpy_min_ms": min(times["numpy"]),
            "speed": med["numpy"] / med["aligned"], "rounds": rounds,
            "offsets": {side: [a.ctypes.data % 64 for a in arrays] for side, arrays in sides.items()},
            "correct": correct}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--op", action="append", required=True, metavar="NAME=WORK_DIR")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--target", default=TARGET,
                    help="target the best schedules are built for (default: 2 threads, as tuned); "
                         "\"llvm -num-cores=1\" runs them on one thread, which a loaded machine "
                         "disturbs far less")
    args = ap.parse_args()
    print(json.dumps({"bench": "aligned_args", **cpu_info(), "target": args.target,
                      "loadavg": os.getloadavg()}), flush=True)
    for spec in args.op:
        name, work_dir = spec.split("=", 1)
        print(json.dumps(one_op(name, work_dir, args.rounds, args.target)), flush=True)
    print(json.dumps({"loadavg_end": os.getloadavg()}), flush=True)


if __name__ == "__main__":
    main()
