"""`raytune-ms tune`: tune one workload of the suite, with progress on stderr (a live bar on a
terminal, a compact line every 10 s / 10% elsewhere) and a summary (a JSON line with --json)
on stdout.

    raytune-ms tune --workload GMM --size small --target llvm --trials 64 --work-dir runs/gmm
    raytune-ms tune --workload C2D --space conv --trials 200 --work-dir runs/c2d --json

"correct" in the summary is the best schedule re-built and checked against numpy.
"""

from __future__ import annotations

import json
import math
import sys
import time

SPACE_CHOICES = ("auto", "post-order-apply", "matmul", "conv")

#: the hand-written space that suits a suite workload ("auto")
WORKLOAD_SPACES = {
    "GMM": "matmul", "GMM-1024": "matmul", "BMM": "matmul", "GEMV": "matmul", "TBG": "matmul",
    "C1D": "conv", "C2D": "conv", "C3D": "conv", "DIL": "conv", "GRP": "conv", "DEP": "conv",
    "CAP": "conv", "T2D": "conv", "CBR": "conv",
}


def register(subparsers) -> None:
    p = subparsers.add_parser("tune", help="tune a workload of the suite", description=__doc__,
                              formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    p.add_argument("--workload", required=True, help="suite workload name (see `raytune-ms workloads`)")
    p.add_argument("--size", choices=("small", "standard"), default="standard")
    p.add_argument("--target", default="llvm", help='target string, e.g. "llvm -num-cores=2"')
    p.add_argument("--trials", type=int, default=64, help="max trials (global)")
    p.add_argument("--work-dir", required=True, help="logs and the Parquet database go here")
    p.add_argument("--space", choices=SPACE_CHOICES, default="post-order-apply",
                   help="design space: post-order-apply (the automatic one, default), a hand-written "
                        "one (matmul, conv), or auto (the hand-written space that suits the workload, "
                        "else post-order-apply)")
    p.add_argument("--strategy", default="replay-trace",
                   help="search strategy: replay-trace, replay-func or evolutionary")
    p.add_argument("--cost-model", default="random")
    p.add_argument("--num-trials-per-iter", type=int, default=64)
    p.add_argument("--task-scheduler", default="gradient", choices=("gradient", "round-robin"))
    p.add_argument("--builder", default="ray", choices=("ray", "local"))
    p.add_argument("--runner", default="ray", choices=("ray", "local"))
    p.add_argument("--num-builders", type=int, default=None,
                   help="Ray builder actors (default: the cluster's free CPUs minus one per node; "
                        "one reserving no CPU when none are free)")
    p.add_argument("--num-runners", type=int, default=None,
                   help="Ray runner actors (default: one per node while the cluster has a free "
                        "CPU, else one reserving none); overrides the default sizing")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--json", action="store_true", help="print the summary as one JSON line")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def resolve_space(space: str, workload: str):
    from . import spaces

    if space == "auto":
        space = WORKLOAD_SPACES.get(workload, "post-order-apply")
    return space if space == "post-order-apply" else spaces.get(space)


def check_best(database, workload, target) -> tuple[float | None, bool]:
    """(best mean ms, whether the best schedule rebuilt here matches numpy)."""
    from .codegen import build
    from .tir_integration import compile_tir

    record = database.query_tuning_record(workload.func, target)
    if record is None:
        return None, False
    sch = compile_tir(database, workload.func, target)
    module = build(sch.mod, target)
    arrays = workload.make_inputs(seed=1)
    module(*arrays)
    correct, _ = workload.compare(arrays)
    return record.mean_run_secs * 1e3, bool(correct)


def sized_pools(args) -> tuple:
    """--builder/--runner as tune_tir takes them: the kind name, or a Ray pool of the size asked
    for (the default pools size themselves to the cluster's free resources)."""
    from .builder import Builder
    from .runner import Runner

    pools = []
    for kind, size, base, key in ((args.builder, args.num_builders, Builder, "num_builders"),
                                  (args.runner, args.num_runners, Runner, "num_runners")):
        if size is None:
            pools.append(kind)
        elif kind != "ray":
            raise SystemExit(f"--{key.replace('_', '-')} needs the ray {base.__name__.lower()}")
        else:
            pools.append(base.create("ray", **{key: size}))
    return tuple(pools)


def run(args) -> int:
    from . import workloads
    from .progress import ProgressBar
    from .target import Target
    from .tune import run_tuning, tir_tasks

    workload = workloads.get(args.workload, args.size)
    target = Target(args.target)
    tasks = tir_tasks(workload.func, target, space=resolve_space(args.space, args.workload),
                      strategy=args.strategy, seed=args.seed,
                      baseline=workloads.SuiteBaseline(args.workload, args.size))
    bar = ProgressBar(args.trials, workload.flops, not args.no_progress)
    builder, runner = sized_pools(args)
    start = time.time()
    try:
        result = run_tuning(
            tasks=tasks, task_weights=[1.0], work_dir=args.work_dir, max_trials_global=args.trials,
            num_trials_per_iter=args.num_trials_per_iter, builder=builder, runner=runner,
            cost_model=args.cost_model, task_scheduler=args.task_scheduler, progress_callback=bar,
        )
    finally:
        bar.close()
        for pool in (builder, runner):
            if not isinstance(pool, str):
                pool.shutdown()
    wall = time.time() - start
    database = result.database
    best_ms, correct = check_best(database, workload, target)
    print(result.tuning_statistics(), file=sys.stderr)
    summary = {
        "workload": args.workload,
        "trials": result.trials,
        "best_ms": best_ms,
        "gflops": workload.flops / (best_ms * 1e-3) / 1e9 if best_ms else None,
        "correct": correct,
        "wall_s": round(wall, 3),
        "database": getattr(database, "uri", None),
    }
    if args.json:
        print(json.dumps(summary), flush=True)
    else:
        gf = "n/a" if summary["gflops"] is None else f"{summary['gflops']:.2f}"
        ms = "n/a" if best_ms is None or not math.isfinite(best_ms) else f"{best_ms:.4f}"
        print(f"{args.workload} ({args.size}): {summary['trials']} trials, best {ms} ms = {gf} GFLOP/s, "
              f"correct={correct}, {wall:.1f} s, database {summary['database']}")
    return 0 if best_ms is not None else 1
