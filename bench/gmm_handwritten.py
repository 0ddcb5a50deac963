"""Benchmark: GMM-1024 scheduled by hand with the schedule primitives, against torch.matmul.

Shows that the scheduling language alone (no hand-written C) reaches a BLAS-like kernel:
a register-blocked micro-kernel (an `mr` x `nr` accumulator tile in a `local` cache_write
buffer, k loop outside the unrolled i and vectorized j loops), a packed B panel ([K][nr]
contiguous, cache_read + compute_at) so the kernel streams B from L2 without 4 KiB-stride
conflicts, and a parallel outer loop. Both sides run on 2 threads, fp32, best single call
out of `rounds` x `calls`, the two sides interleaved (short windows and interleaving keep
the ratio fair on a busy machine).

Prints one JSON line: {"bench": "gmm_handwritten", "gflops": ..., "torch_gflops": ...,
"ratio": ..., "ms": ..., "torch_ms": ..., "threads": 2, "correct": true, "schedule": ...}.
Usage: python bench/gmm_handwritten.py [--rounds 30] [--calls 3] [--sweep] [--kernel-table]
       [--show-c] [--tune TRIALS [--targets host,avx2] [--strategy evolutionary] [--seed 1]]
--sweep prints one such line per tile shape; --kernel-table ranks them single-threaded by
thread CPU time instead (robust on a busy machine).
--tune TRIALS tunes GMM-1024 (--workload/--size for another matmul) with the automatic space
(post-order-apply) and with the hand-written matmul space (sized by the target's vector width),
TRIALS each, for each target ("host"; "avx2": the host CPU with -mattr=-avx512f, 8 lanes and 16
registers), then times every best kernel and torch.matmul interleaved in the same rounds.
It prints the CPU line, then one line per target and space: {"bench": "gmm_spaces", "target",
"space", "trials", "gflops", "ms", "vs_handwritten" (our GFLOP/s over the hand-written space's
on the same target), "torch_gflops", "tile" (rows x columns of the best register tile),
"tuned_gflops" (what tuning measured), "tune_wall_s", "correct"}.
"""

from __future__ import annotations

import argparse
import functools
import json
import pathlib
import sys
import tempfile
import time

import numpy as np

from raytune_ms import workloads
from raytune_ms.codegen import build
from raytune_ms.schedule import Schedule

THREADS = 2
TARGET = f"llvm -num-cores={THREADS}"  # the host CPU, 2 OpenMP threads
TUNE_TARGETS = {"host": TARGET, "avx2": f"llvm -mattr=-avx512f -num-cores={THREADS}"}


def schedule_gmm(func, mr=8, nr=32, mc=None, order="j", pack_b=True):
    """Schedule the matmul block "C" of `func` ([b,] i, j, k loops) by hand.

    order "j": parallel over nr-wide column panels; each panel of B is packed once and the
    micro-kernel walks every mr-row tile of A down it. order "i": parallel over mc-row blocks
    of A, then column panels (B panels are packed once per row block).
    """
    sch = Schedule(func)
    c = sch.get_block("C")
    loops = sch.get_loops(c)
    outer, (i, j, k) = loops[:-3], loops[-3:]
    if order == "j":
        i1, i2 = sch.split(i, [None, mr])
        j0, j1 = sch.split(j, [None, nr])
        sch.reorder(j0, i1, k, i2, j1)
        par, panel, tile = [*outer, j0], j0, i1
    elif order == "i":
        i0, i1, i2 = sch.split(i, [None, mc // mr, mr])
        j0, j1 = sch.split(j, [None, nr])
        sch.reorder(i0, j0, i1, k, i2, j1)
        par, panel, tile = [*outer, i0], j0, i1
    else:
        raise ValueError(f"order must be 'i' or 'j', got {order!r}")
    acc = sch.cache_write(c, 0, "local")
    sch.reverse_compute_at(acc, tile)
    blocks = [acc]
    if pack_b:
        packed = sch.cache_read(c, 1, "global")
        sch.compute_at(packed, panel)
        sch.vectorize(sch.get_loops(packed)[-1])
    blocks.append(sch.decompose_reduction(c, k))
    sch.unroll(i2)
    sch.vectorize(j1)
    for blk in blocks:
        *_, rows, cols = sch.get_loops(blk)
        sch.unroll(rows)
        sch.vectorize(cols)
    sch.parallel(sch.fuse(*par) if len(par) > 1 else par[0])
    return sch


def describe(mr=8, nr=32, mc=None, order="j", pack_b=True) -> str:
    where = "parallel j-panels" if order == "j" else f"parallel {mc}-row i-blocks, then j-panels"
    pack = f"packed B panel [K][{nr}] (cache_read+compute_at)" if pack_b else "unpacked B"
    return (f"{mr}x{nr} local accumulator (cache_write+reverse_compute_at), k outside unrolled "
            f"i{mr}/vectorized j{nr}, decompose_reduction, {pack}, {where}")


def run(configs, rounds: int, calls: int = 10, show_c: bool = False) -> list:
    """One result dict per config; all configs and torch are timed in the same interleaved
    rounds, so they share the same quiet and busy moments."""
    wl = workloads.get("GMM-1024")
    args = wl.make_inputs(seed=0)
    expected = wl.reference(*args[:-1])[0]
    mods, correct = [], []
    for config in configs:
        mod = build(schedule_gmm(wl.func, **config).mod["main"], TARGET)
        if show_c:
            print(mod.source)
        out = [a.copy() for a in args]
        mod(*out)
        mods.append(mod)
        correct.append(bool(np.allclose(out[-1], expected, rtol=wl.rtol, atol=wl.atol)))

    ours, theirs = time_interleaved(mods, args, rounds, calls)
    torch_gflops = wl.flops / theirs / 1e9
    results = []
    for config, secs, ok in zip(configs, ours, correct):
        gflops = wl.flops / secs / 1e9
        results.append({
            "bench": "gmm_handwritten", "gflops": round(gflops, 1),
            "torch_gflops": round(torch_gflops, 1), "ratio": round(gflops / torch_gflops, 3),
            "ms": round(secs * 1e3, 3), "torch_ms": round(theirs * 1e3, 3), "threads": THREADS,
            "correct": ok, "schedule": describe(**config)})
    return results


def time_interleaved(mods, args, rounds: int, calls: int) -> tuple:
    """([best single call of each module], best torch.matmul call) in seconds, on THREADS
    threads, the sides interleaved round by round (short windows: other load hits every side
    alike)."""
    import torch

    torch.set_num_threads(THREADS)
    ta, tb = (torch.from_numpy(a) for a in args[:2])
    tc = torch.empty_like(ta)

    def torch_best(n):
        best = float("inf")
        for _ in range(n):
            t0 = time.perf_counter()
            torch.matmul(ta, tb, out=tc)
            best = min(best, time.perf_counter() - t0)
        return best

    torch_best(2)  # warm-up
    ours, theirs = [float("inf")] * len(mods), float("inf")
    for _ in range(rounds):
        for n, mod in enumerate(mods):
            ours[n] = min(ours[n], min(mod.time(*args, number=1, repeat=calls, min_repeat_ms=0)))
        theirs = min(theirs, torch_best(calls))
    return ours, theirs


def register_tile(sch) -> str:
    """rows x columns of the register tile: the extents of the matmul block's two innermost
    loops (the unrolled rows and the vectorized columns in both spaces)."""
    *_, rows, cols = (sch.get(lp).extent.value for lp in sch.get_loops(sch.get_block("C")))
    return f"{rows}x{cols}"


def tune_spaces(target_names, trials: int, strategy: str, seed: int, rounds: int, calls: int,
                workload: str = "GMM-1024", size: str = "standard") -> list:
    """Tune `workload` with the automatic and the hand-written space on each target, then time
    all best kernels side by side; one result dict per target and space (see the docstring)."""
    import raytune_ms
    from raytune_ms.spaces.matmul import matmul_space
    from raytune_ms.target import Target

    wl = workloads.get(workload, size)
    args = wl.make_inputs(seed=0)
    rows = []
    for name in target_names:
        target = Target(TUNE_TARGETS.get(name, name))
        handwritten = functools.partial(matmul_space, lanes=target.vector_lanes)
        for label, space in (("automatic", "post-order-apply"), ("handwritten", handwritten)):
            t0 = time.perf_counter()
            with tempfile.TemporaryDirectory(prefix="gmm_spaces_") as work_dir:
                db = raytune_ms.tune_tir(wl.func, target, work_dir, trials, space=space, strategy=strategy,
                                         builder="local", runner="local", database="memory", seed=seed,
                                         baseline=workloads.SuiteBaseline(workload, size), progress=False)
            wall = time.perf_counter() - t0
            best = min(r.mean_run_secs for r in db.get_all_tuning_records() if r.is_valid)
            sch = raytune_ms.compile_tir(db, wl.func, target)
            if sch is None:
                raise RuntimeError(f"{label} space on {target}: no valid schedule in {trials} trials")
            mod = build(sch.mod, target)
            out = [a.copy() for a in args]
            mod(*out)
            rows.append({"bench": "gmm_spaces", "target": str(target), "space": label, "trials": trials,
                         "strategy": strategy, "tile": register_tile(sch), "mod": mod, "best": best,
                         "correct": bool(wl.compare(out)[0]), "tune_wall_s": round(wall, 1)})
    ours, theirs = time_interleaved([r.pop("mod") for r in rows], args, rounds, calls)
    for row, secs in zip(rows, ours):
        row.update(gflops=round(wl.flops / secs / 1e9, 1), ms=float(f"{secs * 1e3:.4g}"),
                   torch_gflops=round(wl.flops / theirs / 1e9, 1),
                   tuned_gflops=round(wl.flops / row.pop("best") / 1e9, 1))
    for row in rows:
        hand = next(r for r in rows if r["target"] == row["target"] and r["space"] == "handwritten")
        row["vs_handwritten"] = round(row["gflops"] / hand["gflops"], 3)
    return rows


def kernel_table(configs, rounds: int) -> list:
    """Single-thread GFLOP/s of each config and of torch by thread CPU time (time.thread_time):
    preemption by other processes does not count, so tile shapes rank reliably on a busy
    machine where wall-clock figures swing by 2x."""
    import torch

    wl = workloads.get("GMM-1024")
    args = wl.make_inputs(seed=0)
    torch.set_num_threads(1)
    ta, tb = (torch.from_numpy(a) for a in args[:2])
    tc = torch.empty_like(ta)
    mods = [build(schedule_gmm(wl.func, **c).mod["main"], "llvm -num-cores=1") for c in configs]
    calls = [lambda m=m: m(*args) for m in mods] + [lambda: torch.matmul(ta, tb, out=tc)]
    best = [float("inf")] * len(calls)
    for _ in range(rounds):
        for n, call in enumerate(calls):
            for _ in range(3):
                t0 = time.thread_time()
                call()
                best[n] = min(best[n], time.thread_time() - t0)
    torch_gflops = wl.flops / best[-1] / 1e9
    return [{"bench": "gmm_handwritten_1thread_cputime", "gflops": round(wl.flops / b / 1e9, 1),
             "torch_gflops": round(torch_gflops, 1), "ratio": round(best[-1] / b, 3),
             "threads": 1, "config": c, "schedule": describe(**c)}
            for c, b in zip(configs, best)]


BEST = {"mr": 8, "nr": 32, "order": "j"}
SWEEP = [
    {"mr": 8, "nr": 32, "order": "j"},
    {"mr": 8, "nr": 32, "order": "j", "pack_b": False},
    {"mr": 8, "nr": 32, "mc": 64, "order": "i"},
    {"mr": 8, "nr": 32, "mc": 512, "order": "i"},
    {"mr": 4, "nr": 64, "order": "j"},
    {"mr": 12, "nr": 32, "order": "j"},
    {"mr": 6, "nr": 64, "order": "j"},
    {"mr": 4, "nr": 16, "order": "j"},
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--calls", type=int, default=3, help="single calls per round and side")
    ap.add_argument("--sweep", action="store_true",
                    help="one line per tile shape (the first is the default schedule)")
    ap.add_argument("--kernel-table", action="store_true",
                    help="rank the sweep's tile shapes single-threaded by thread CPU time")
    ap.add_argument("--show-c", action="store_true", help="print the generated C")
    ap.add_argument("--tune", type=int, metavar="TRIALS",
                    help="tune with the automatic and the hand-written space, TRIALS each")
    ap.add_argument("--targets", default="host,avx2", help="with --tune: host, avx2 or target strings")
    ap.add_argument("--strategy", default="evolutionary", help="with --tune: the search strategy")
    ap.add_argument("--seed", type=int, default=1, help="with --tune: the tuning seed")
    ap.add_argument("--workload", default="GMM-1024", help="with --tune: a matmul-like suite workload")
    ap.add_argument("--size", default="standard", help="with --tune: the workload's size")
    a = ap.parse_args()
    if a.tune:
        sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
        from suite_vs_torch import cpu_info

        print(json.dumps(cpu_info()), flush=True)
        targets = [t.strip() for t in a.targets.split(",") if t.strip()]
        for line in tune_spaces(targets, a.tune, a.strategy, a.seed, a.rounds, a.calls, a.workload, a.size):
            print(json.dumps(line), flush=True)
        return
    if a.kernel_table:
        for line in kernel_table(SWEEP, max(a.rounds // 4, 2)):
            print(json.dumps(line), flush=True)
        return
    configs = SWEEP if a.sweep else [BEST]
    for line in run(configs, a.rounds, a.calls, a.show_c):
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
