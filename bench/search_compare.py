"""Benchmark: the learning search against random sampling, both on the automatic design space.

Each run tunes one suite op from an empty database with one strategy and one seed, and prints
one JSON line with its best-so-far curve (GFLOP/s after each trial, in measured order), so a
256-trial run also gives the best after its first 64 trials. Strategies:
  evo-xgb        EvolutionarySearch + XGBModel (the defaults of tune_tir)
  evo-xgb-wN     the same with XGBModel(num_warmup_samples=N) (the reference's N is 100)
  replay-random  ReplayTrace + RandomModel
Runs are interleaved (seed, then op, then strategy, the strategy order alternating by seed) so
the shared machine's load falls on every strategy alike. The builder and runner pools are
created once and serve every run.

--resume-check: per op and seed, a run of T/2 trials resumed to T (a second run over the same
database, same seed) against an uninterrupted T-trial run; both curves are printed, with the
resumed run's log lines on what its cost model was trained on before its first batch.

--plot RUNS.jsonl: one PNG per op (every run thin, each strategy's median thick) and a table of
the median best at the --at trial counts.

Usage: python bench/search_compare.py [--ops GMM-1024,SFM] [--strategies evo-xgb,replay-random]
       [--seeds 3] [--trials 256] [--size standard] > runs.jsonl
       python bench/search_compare.py --plot runs.jsonl [--out-dir bench/results] [--at 64,256]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import pathlib
import re
import sys
import tempfile
import time

import numpy as np
from suite_vs_torch import cpu_info  # a sibling script: bench/ is on the path of a bench

from raytune_ms import workloads
from raytune_ms.cost_model import XGBModel
from raytune_ms.database import Database
from raytune_ms.database.plot import best_so_far, curve_values
from raytune_ms.search_strategy import EvolutionarySearch
from raytune_ms.tune import run_tuning, tir_tasks

TARGET = "llvm"  # the host CPU, as `raytune-ms tune` tunes it by default
STRATEGY_RE = re.compile(r"^(evo-xgb(?:-w(\d+))?|replay-random)$")
TRAINED_RE = re.compile(r"EvolutionarySearch: (cost model trained on \d+ records.*|the model scores at random.*)")


def strategy_parts(name: str, population: int | None = None) -> tuple:
    """(strategy, cost model) of a strategy name (see the module docstring); population: the
    evolutionary search's population_size (None: the reference's 512)."""
    m = STRATEGY_RE.match(name)
    if m is None:
        raise SystemExit(f"unknown strategy {name!r}: evo-xgb, evo-xgb-wN or replay-random")
    if name == "replay-random":
        return "replay-trace", "random"
    model = XGBModel() if m.group(2) is None else XGBModel(num_warmup_samples=int(m.group(2)))
    if population is None:
        return "evolutionary", model
    return EvolutionarySearch(population_size=population, init_min_unmeasured=max(1, min(50, population // 2))), model


def tune(op: str, size: str, strategy: str, seed: int, trials: int, work_dir: str, pools: tuple,
         population: int | None = None) -> dict:
    """Run `trials` more trials of `op` in work_dir; the run's wall time and trials."""
    kind, cost_model = strategy_parts(strategy, population)
    wl = workloads.get(op, size)
    tasks = tir_tasks(wl.func, TARGET, strategy=kind, seed=seed, task_name=op,
                      baseline=workloads.SuiteBaseline(op, size))
    t0 = time.perf_counter()
    result = run_tuning(tasks=tasks, task_weights=[1.0], work_dir=work_dir, max_trials_global=trials,
                        num_trials_per_iter=64, builder=pools[0], runner=pools[1],
                        cost_model=cost_model)
    return {"wall_s": round(time.perf_counter() - t0, 2), "trials": result.trials,
            "stop_reason": result.stop_reason, "load_avg_1min": round(os.getloadavg()[0], 2)}


def curve(op: str, size: str, work_dir: str) -> list:
    """GFLOP/s of the best program after each trial measured in work_dir's database."""
    records = Database.create("parquet", work_dir=work_dir).get_all_tuning_records()
    values = curve_values(best_so_far(records), workloads.get(op, size).flops, "gflops")
    return [round(float(v), 3) for v in values]


def trained_lines(work_dir: str, op: str) -> list:
    """The task log's lines on what the cost model was trained on at the start of a run."""
    log = pathlib.Path(work_dir) / "logs" / f"task_000_{op}.log"
    return TRAINED_RE.findall(log.read_text()) if log.exists() else []


def emit(obj: dict) -> None:
    print(json.dumps(obj), flush=True)


def make_pools(kind: str) -> tuple:
    from raytune_ms.builder import Builder
    from raytune_ms.runner import Runner

    return Builder.create(kind), Runner.create(kind)


def compare(args, base: dict) -> None:
    pools = make_pools(args.pools)
    try:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            for op in args.ops:
                order = args.strategies if (seed - args.first_seed) % 2 == 0 else args.strategies[::-1]
                for strategy in order:
                    with tempfile.TemporaryDirectory(prefix=f"search_compare_{op}_") as work_dir:
                        run = tune(op, args.size, strategy, seed, args.trials, work_dir, pools, args.population)
                        values = curve(op, args.size, work_dir)
                    emit({**base, "mode": "compare", "op": op, "size": args.size, "strategy": strategy,
                          "seed": seed, **run, "trials_per_min": round(60 * run["trials"] / run["wall_s"], 1),
                          "best_gflops": values[-1] if values else None, "curve_gflops": values})
    finally:
        for pool in pools:
            pool.shutdown()


def resume_check(args, base: dict) -> None:
    pools = make_pools(args.pools)
    half = args.trials // 2
    try:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            for op in args.ops:
                for strategy in args.strategies:
                    with tempfile.TemporaryDirectory(prefix="resume_") as resumed, \
                         tempfile.TemporaryDirectory(prefix="whole_") as whole:
                        run = functools.partial(tune, op, args.size, strategy, seed, pools=pools,
                                                population=args.population)
                        first = run(half, resumed)
                        second = run(args.trials - half, resumed)
                        logged = trained_lines(resumed, op)
                        full = run(args.trials, whole)
                        for label, work_dir, runs in (("resumed", resumed, [first, second]), ("whole", whole, [full])):
                            values = curve(op, args.size, work_dir)
                            emit({**base, "mode": "resume", "run": label, "op": op, "size": args.size,
                                  "strategy": strategy, "seed": seed, "trials": sum(r["trials"] for r in runs),
                                  "wall_s": round(sum(r["wall_s"] for r in runs), 2),
                                  "resume_log": logged if label == "resumed" else [],
                                  "best_gflops": values[-1] if values else None, "curve_gflops": values})
    finally:
        for pool in pools:
            pool.shutdown()


def best_at(values: list, n: int) -> float | None:
    """Best GFLOP/s after the first n trials (None when the run had fewer)."""
    return values[n - 1] if len(values) >= n else None


def median_curve(curves: list) -> np.ndarray:
    """The median best-so-far at each trial over the runs that reached it, so that a mix of
    64- and 256-trial runs draws a median all the way to 256."""
    longest = max(len(c) for c in curves)
    return np.array([float(np.median([c[n] for c in curves if len(c) > n])) for n in range(longest)])


def plot(path: str, out_dir: str, at: list) -> None:
    """One PNG per (mode, op): each run thin, each strategy's (or resume label's) median thick
    (`median_curve`); prints one JSON line per op and strategy with
    the median best at each of `at` over the runs that reached it."""
    from matplotlib.figure import Figure

    runs = [json.loads(line) for line in open(path) if line.strip().startswith("{")]
    runs = [r for r in runs if "curve_gflops" in r and r.get("stop_reason") != "interrupted"]  # (Ctrl-C)
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    groups: dict = {}
    for r in runs:
        label = r["strategy"] if r["mode"] == "compare" else f"{r['strategy']} {r['run']}"
        groups.setdefault((r["mode"], r["op"]), {}).setdefault(label, []).append(r["curve_gflops"])
    colors = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple"]
    for (mode, op), by_label in sorted(groups.items()):
        fig = Figure(figsize=(5.5, 3.6), layout="constrained")
        ax = fig.add_subplot(1, 1, 1)
        for color, (label, curves) in zip(colors, sorted(by_label.items())):
            for c in curves:
                ax.step(np.arange(1, len(c) + 1), c, where="post", color=color, alpha=0.3, linewidth=0.8)
            median = median_curve(curves)
            shortest = min(len(c) for c in curves)
            longer = sum(len(c) > shortest for c in curves)
            past = f", of {longer} past {shortest}" if longer < len(curves) and len(median) > shortest else ""
            ax.step(np.arange(1, len(median) + 1), median, where="post", color=color, linewidth=2,
                    label=f"{label} (median of {len(curves)}{past})")
            row = {"table": mode, "op": op, "strategy": label, "runs": len(curves)}
            for k in at:  # over the runs that reached k trials
                vals = [v for v in (best_at(c, k) for c in curves) if v is not None]
                row[f"median_at_{k}"] = round(float(np.median(vals)), 2) if vals else None
                row[f"runs_at_{k}"] = len(vals)
            print(json.dumps(row), flush=True)
        ax.set_title(f"{op}: best GFLOP/s so far ({mode})", fontsize=10)
        ax.set_xlabel("trials")
        ax.set_ylabel("best GFLOP/s")
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
        png = out / f"search_{mode}_{op}.png"
        fig.savefig(png, dpi=100)
        print(json.dumps({"png": str(png), "bytes": png.stat().st_size}), flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ops", default="GMM-1024,C2D,DEP,SFM,LN", type=lambda s: s.split(","))
    ap.add_argument("--strategies", default="evo-xgb,replay-random", type=lambda s: s.split(","))
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--first-seed", type=int, default=1, help="seeds are first-seed, first-seed+1, ...")
    ap.add_argument("--trials", type=int, default=256)
    ap.add_argument("--size", default="standard")
    ap.add_argument("--pools", default="ray", choices=("ray", "local"), help="builder and runner kind")
    ap.add_argument("--population", type=int, default=None, help="evolutionary population (default 512)")
    ap.add_argument("--resume-check", action="store_true")
    ap.add_argument("--plot", metavar="RUNS.jsonl")
    ap.add_argument("--out-dir", default="bench/results")
    ap.add_argument("--at", default="64,256", type=lambda s: [int(x) for x in s.split(",")])
    args = ap.parse_args(argv)
    if args.plot:
        plot(args.plot, args.out_dir, args.at)
        return 0
    for name in args.strategies:
        strategy_parts(name)
    for op in args.ops:
        if op not in workloads.names():
            raise SystemExit(f"unknown op {op!r}; known: {', '.join(workloads.names())}")
    base = {"bench": "search_compare", **cpu_info()}
    emit({**base, "ops": args.ops, "strategies": args.strategies, "seeds": args.seeds, "trials": args.trials})
    (resume_check if args.resume_check else compare)(args, base)
    return 0


if __name__ == "__main__":
    sys.exit(main())
