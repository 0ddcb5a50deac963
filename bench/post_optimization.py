"""Benchmark: what post-optimization adds to a tuning run, in the same run.

Tunes a suite op (tune_tir's defaults: evolutionary search + XGB, Ray builder and runner) for
--trials trials with post_optimization=True, then reads what the Droplet search did from the
database: the best record after tuning, the start point as post-optimization re-measured it
(its own runner settings, three run times) and the best it found, measured the same way, so
`gain` (start / best) compares like with like.

Prints one JSON line: {"bench": "post_optimization", "op", "trials", "tuned_gflops",
"post_start_gflops", "post_best_gflops", "gain", "post_trials", "wall_tune_s", "wall_post_s", ...}.
Usage: python bench/post_optimization.py [--op GMM-1024] [--size standard] [--trials 64] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import tempfile
import time

from search_compare import TARGET, cpu_info  # noqa: I001 (a sibling script)

import raytune_ms as ms
from raytune_ms import workloads

LINE_RE = re.compile(r"post-optimization of .*?: (\d+) points, (\d+) moves, (\S+) -> (\S+) ms; (.*)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--op", default="GMM-1024")
    ap.add_argument("--size", default="standard")
    ap.add_argument("--trials", type=int, default=64)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pools", default="ray", choices=("ray", "local"))
    args = ap.parse_args(argv)
    wl = workloads.get(args.op, args.size)
    gflops = lambda secs: None if secs is None else round(wl.flops / secs / 1e9, 2)  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="post_opt_") as work_dir:
        t0 = time.perf_counter()
        db = ms.tune_tir(wl.func, TARGET, work_dir, args.trials, seed=args.seed, task_name=args.op,
                         builder=args.pools, runner=args.pools, post_optimization=True, progress=False,
                         baseline=workloads.SuiteBaseline(args.op, args.size))
        wall = time.perf_counter() - t0
        records = sorted(db.get_all_tuning_records(), key=lambda r: r.time or 0.0)
        tuned, post = records[: args.trials], records[args.trials:]
        valid = [r.mean_run_secs for r in tuned if r.is_valid()]
        log = open(f"{work_dir}/logs/tune.log").read()
    m = LINE_RE.search(log)
    if m is None:
        logging.error("no post-optimization line in the run log")
        return 1
    points, moves, start_ms, best_ms, reason = m.groups()
    start, best = float(start_ms) * 1e-3, float(best_ms) * 1e-3
    post_wall = (post[-1].time - tuned[-1].time) if post else 0.0
    print(json.dumps({"bench": "post_optimization", **cpu_info(), "op": args.op, "size": args.size,
                      "trials": args.trials, "seed": args.seed,
                      "tuned_gflops": gflops(min(valid)) if valid else None,
                      "post_start_gflops": gflops(start), "post_best_gflops": gflops(best),
                      "gain": round(start / best, 3), "post_trials": int(points), "moves": int(moves),
                      "post_records": len(post), "stop_reason": reason, "wall_s": round(wall, 1),
                      "wall_post_s": round(post_wall, 1)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
