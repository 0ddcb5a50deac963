"""Benchmark: NVRTC compile rate of sampled CUDA candidates, and their source size.

Per suite workload: candidates drawn from the CUDA design space (ScheduleRule/Postproc
.create("cuda"), fixed seeds) until `--per` pass the postprocessors (VerifyGPUCode included),
each generated (codegen_cuda) and compiled to PTX by NVRTC. NVRTC runs in this process on one
thread, so besides wall seconds its CPU seconds are reported: on a loaded machine they are the
steadier figure.

Two code generators (say before and after a change) are compared on the same candidates side
by side: `--emit DIR` (run once with PYTHONPATH at each tree) writes each candidate's source as
DIR/<workload>-<size>-<n>-<program hash>.cu without compiling; `--side-by-side A B` then
compiles the sources both directories hold, alternately, in one process.

Prints one JSON line per candidate ({"bench": "cuda_nvrtc_rate", "workload", "size", "hash",
"kernels", "source_bytes", "codegen_s", "nvrtc_s", "nvrtc_cpu_s", ...}) and one summary line
("kernels_per_s", "kernels_per_cpu_s" over all candidates, median and largest source).
Usage: python bench/cuda_nvrtc_rate.py [--size small] [--per 2] [--names GMM,C2D] [--most 48] [--emit DIR]
       python bench/cuda_nvrtc_rate.py --side-by-side BEFORE_DIR AFTER_DIR
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time

from suite_vs_torch import cpu_info  # a sibling script: bench/ is on the path of a bench


def candidates(name: str, size: str, per: int, most: int, seed: int):
    """Up to `per` accepted schedules of workload `name` and the number of draws it took."""
    from raytune_ms import workloads
    from raytune_ms.testing.design_spaces import context, replays

    ctx = context(workloads.get(name, size).func, target="cuda")
    rng = random.Random(seed)
    out, draws = [], 0
    while len(out) < per and draws < most:
        ok, _ = replays(ctx, 1, seed=rng.getrandbits(30))
        out += ok
        draws += 1
    return out, draws


def nvrtc(source: str, name: str) -> dict:
    from raytune_ms.runtime.nvrtc import compile_cuda

    t0, c0 = time.perf_counter(), time.process_time()
    ptx, kind = compile_cuda(source, None, name)
    t1, c1 = time.perf_counter(), time.process_time()
    assert kind == "ptx", name
    return {"kernels": ptx.count(b".entry"), "source_bytes": len(source), "ptx_bytes": len(ptx),
            "nvrtc_s": round(t1 - t0, 4), "nvrtc_cpu_s": round(c1 - c0, 4)}


def run(size: str, per: int, most: int, names, emit: str | None = None, seed: int = 7) -> list:
    """Sample, generate and (unless `emit` names a directory to write the sources to) compile."""
    from raytune_ms import workloads
    from raytune_ms.codegen.cuda import codegen_cuda
    from raytune_ms.tir import structural_hash

    info = cpu_info()
    rows = []
    for name in names or workloads.names():
        ok, draws = candidates(name, size, per, most, seed)
        for i, sch in enumerate(ok):
            t0 = time.perf_counter()
            art = codegen_cuda(sch.mod.entry_func(), "cuda")
            row = {"bench": "cuda_nvrtc_rate", **info, "workload": name, "size": size, "candidate": i,
                   "draws": draws, "hash": structural_hash(sch.mod)[:16],
                   "codegen_s": round(time.perf_counter() - t0, 4), "source_bytes": len(art.source)}
            if emit:
                os.makedirs(emit, exist_ok=True)
                with open(os.path.join(emit, f"{name}-{size}-{i}-{row['hash']}.cu"), "w") as f:
                    f.write(art.source)
            else:
                row.update(nvrtc(art.source, name))
                assert row["kernels"] == len(art.kernels), name
            print(json.dumps(row), flush=True)
            rows.append(row)
    if rows and not emit:
        print(json.dumps({"bench": "cuda_nvrtc_rate", "summary": True, **info, "size": size,
                          "candidates": len(rows), **_totals(rows)}), flush=True)
    return rows


def _totals(rows) -> dict:
    kernels = sum(r["kernels"] for r in rows)
    secs = sum(r["nvrtc_s"] for r in rows)
    cpu = sum(r["nvrtc_cpu_s"] for r in rows)
    sizes = [r["source_bytes"] for r in rows]
    return {"kernels": kernels, "nvrtc_s": round(secs, 3), "nvrtc_cpu_s": round(cpu, 3),
            "kernels_per_s": round(kernels / max(secs, 1e-9), 2),
            "kernels_per_cpu_s": round(kernels / max(cpu, 1e-9), 2),
            "median_source_bytes": int(statistics.median(sizes)), "max_source_bytes": max(sizes)}


def side_by_side(before: str, after: str) -> dict:
    """The sources both directories hold compiled alternately (the order flipped from one
    candidate to the next): one JSON line per candidate, then the totals of each side."""
    info = cpu_info()
    both = sorted(set(os.listdir(before)) & set(os.listdir(after)))
    sides: dict = {"before": [], "after": []}
    for n, fname in enumerate(both):
        order = [("before", before), ("after", after)]
        row = {"bench": "cuda_nvrtc_rate", **info, "candidate": fname[:-3]}
        for label, d in order if n % 2 == 0 else order[::-1]:
            with open(os.path.join(d, fname)) as f:
                r = nvrtc(f.read(), fname.split("-")[0])
            sides[label].append(r)
            row[label] = r
        print(json.dumps(row), flush=True)
    totals = {label: _totals(rows) for label, rows in sides.items() if rows}
    print(json.dumps({"bench": "cuda_nvrtc_rate", "summary": True, **info, "candidates": len(both), **totals}),
          flush=True)
    return totals


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="small", choices=["small", "standard"])
    ap.add_argument("--per", type=int, default=2, help="accepted candidates per workload")
    ap.add_argument("--most", type=int, default=48, help="draws per workload at most")
    ap.add_argument("--names", default="", help="comma-separated workloads (default: the whole suite)")
    ap.add_argument("--emit", metavar="DIR", help="write the sources to DIR instead of compiling them")
    ap.add_argument("--side-by-side", nargs=2, metavar=("BEFORE", "AFTER"))
    args = ap.parse_args()
    if args.side_by_side:
        return side_by_side(*args.side_by_side)
    run(args.size, args.per, args.most, [n for n in args.names.split(",") if n], args.emit)


if __name__ == "__main__":
    main()
