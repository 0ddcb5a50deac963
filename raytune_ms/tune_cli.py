"""`raytune-ms tune`: tune one workload of the suite, with progress on stderr (a live bar on a
terminal, a compact line every 10 s / 10% elsewhere) and a summary (a JSON line with --json)
on stdout.

    raytune-ms tune --workload GMM --size small --target llvm --trials 64 --work-dir runs/gmm
    raytune-ms tune --workload C2D --space conv --trials 200 --work-dir runs/c2d --json
    raytune-ms tune --workload GMM --dtype float16 --target nvidia/h100 --space cuda-tensorcore \
        --trials 64 --work-dir runs/gmm-tc

A CUDA target needs a GPU to measure on (a clear error at once without one); sampling and
building its candidates need none: `raytune-ms space ... --build N`.

"correct" in the summary is the best schedule re-built and checked against numpy.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time

from .cli_error import CommandError

#: Rounds of timing the best and the unscheduled program at the end (the speed-up).
ROUNDS = 3

SPACE_CHOICES = ("auto", "post-order-apply", "matmul", "conv", "cuda-tensorcore")

#: the rule, postprocessor and mutator kind of PostOrderApply that `--space` names
POST_ORDER_KINDS = ("cuda-tensorcore",)

#: the hand-written space that suits a suite workload ("auto")
WORKLOAD_SPACES = {
    "GMM": "matmul", "GMM-1024": "matmul", "BMM": "matmul", "GEMV": "matmul", "TBG": "matmul",
    "C1D": "conv", "C2D": "conv", "C3D": "conv", "DIL": "conv", "GRP": "conv", "DEP": "conv",
    "CAP": "conv", "T2D": "conv", "CBR": "conv",
}


def _positive(text: str, least: int = 1) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"must be at least {least}, got {value}")
    return value


def _count(text: str) -> int:
    return _positive(text, 0)


def _workload(text: str) -> str:
    from .workloads import names

    if text not in names():
        raise argparse.ArgumentTypeError(f"unknown workload {text!r}; known: {', '.join(names())}")
    return text


def _target(text: str) -> str:
    from .target import Target

    try:
        Target(text)
    except (ValueError, TypeError) as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return text


def _work_dir(text: str) -> str:
    """A local directory, made if missing, that this process can write; or a URI of a
    filesystem pyarrow knows (s3://, gs://, file://: the store of jobs on several machines)."""
    if "://" in text:
        from pyarrow import fs as pafs

        try:
            pafs.FileSystem.from_uri(text)
        except Exception as err:  # pyarrow's errors for unknown schemes and malformed URIs
            raise argparse.ArgumentTypeError(f"{text!r}: {str(err).splitlines()[0]}") from None
        return text
    if os.path.exists(text) and not os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text!r} exists and is not a directory")
    try:
        os.makedirs(text, exist_ok=True)
        with tempfile.TemporaryFile(dir=text):
            pass
    except OSError as err:
        raise argparse.ArgumentTypeError(f"cannot write in {text!r}: {err.strerror or err}") from None
    return text


def _kinds(module: str, cls: str) -> tuple:
    import importlib

    return tuple(getattr(importlib.import_module(module), cls).KINDS)


def register(subparsers) -> None:
    strategies = _kinds("raytune_ms.search_strategy.search_strategy", "SearchStrategy")
    cost_models = _kinds("raytune_ms.cost_model.cost_model", "CostModel")
    p = subparsers.add_parser("tune", help="tune a workload of the suite", description=__doc__,
                              formatter_class=_HelpFormatter)
    p.add_argument("--workload", required=True, type=_workload, metavar="NAME",
                   help="suite workload (see `raytune-ms workloads --list`)")
    from .workloads.suite import SIZES

    p.add_argument("--size", choices=SIZES, default="standard", help="shape set of the suite")
    p.add_argument("--target", default="llvm", type=_target,
                   help='target string, e.g. "llvm -num-cores=2", "cuda", "nvidia/h100"')
    add_dtype_argument(p)
    p.add_argument("--trials", type=_positive, default=64,
                   help="trials to run (max_trials_global); a rerun over the same work dir resumes: "
                        "traces already in its database are not measured again")
    p.add_argument("--work-dir", required=True, type=_work_dir, help="logs and the Parquet database go here")
    p.add_argument("--space", choices=SPACE_CHOICES, default="post-order-apply",
                   help="design space: post-order-apply (the automatic one), a hand-written one (matmul, "
                        "conv), auto (the hand-written space that suits the workload, else "
                        "post-order-apply), or cuda-tensorcore (post-order-apply with the reference's "
                        "tensor-core rules, postprocessors and mutators; with --dtype float16)")
    p.add_argument("--strategy", default="evolutionary", choices=strategies, help="search strategy")
    p.add_argument("--cost-model", default="xgb", choices=cost_models,
                   help="cost model that ranks candidates before they are measured")
    p.add_argument("--num-trials-per-iter", type=_positive, default=64,
                   help="candidates the search strategy draws at a time")
    p.add_argument("--task-scheduler", default="gradient", choices=("gradient", "round-robin"),
                   help="how the trial budget is shared between tasks")
    p.add_argument("--builder", default="ray", choices=("ray", "local"),
                   help="build on Ray actors, or in local processes")
    p.add_argument("--runner", default="ray", choices=("ray", "local"),
                   help="measure on Ray actors, or in a local process")
    p.add_argument("--num-builders", type=_positive, default=None,
                   help="Ray builder actors (default: the cluster's free CPUs minus one per node; "
                        "one reserving no CPU when none are free)")
    p.add_argument("--num-runners", type=_positive, default=None,
                   help="Ray runner actors (default: one per node while the cluster has a free "
                        "CPU, else one reserving none); overrides the default sizing")
    p.add_argument("--search-workers", type=_positive, default=None, metavar="N",
                   help="processes that work out the evolutionary search's population: this one and N - 1 "
                        "Ray actors on its node, which use the cores the builders and runners leave idle while "
                        "the search chooses a batch (a seed picks the same batches with any N; N > 1 needs "
                        "--strategy evolutionary and --builder ray or --runner ray; default: 2 over Ray, "
                        "else 1)")
    p.add_argument("--seed", type=int, default=None, help="makes the search reproducible")
    p.add_argument("--remeasure-top-k", type=_count, default=0, metavar="K",
                   help="after tuning, re-time the K best records side by side with more repeats, so the "
                        "best is an honest reading (0: off)")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON line")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """The module docstring as written, and each option's default (when it has one)."""

    def _get_help_string(self, action):
        text = action.help or ""
        if action.default not in (None, False, argparse.SUPPRESS) and "(default" not in text:
            text += " (default: %(default)s)"
        return text


def add_dtype_argument(p) -> None:
    p.add_argument("--dtype", choices=("float32", "float16"), default="float32",
                   help="the workload's input dtype: float16 is the tensor-core variant (fp32 accumulation) of "
                        "the matmuls and conv2d")


def workload_dtype(args) -> str | None:
    """`workloads.get`'s dtype for --dtype (None: the suite's own float32)."""
    return None if args.dtype == "float32" else args.dtype


def resolve_space(space: str, workload: str, target=None):
    """The space for `--space`; the hand-written matmul space is tiled for the target's lanes,
    and a kind of POST_ORDER_KINDS is PostOrderApply with that kind's rules, postprocessors and
    mutators (the reference's `PostOrderApply(sch_rules="cuda-tensorcore", ...)`)."""
    import functools

    from . import spaces

    if space == "auto":
        space = WORKLOAD_SPACES.get(workload, "post-order-apply")
    if space == "post-order-apply":
        return space
    if space in POST_ORDER_KINDS:
        from .space_generator.post_order_apply import PostOrderApply

        return PostOrderApply(sch_rules=space, postprocs=space, mutator_probs=space)
    if space == "matmul" and target is not None:
        return functools.partial(spaces.matmul_space, lanes=target.vector_lanes)
    return spaces.get(space)


def check_space_target(space: str, target) -> None:
    """A tensor-core space is for a CUDA target: say so instead of tuning a CPU target with it."""
    if space in POST_ORDER_KINDS and target.kind != "cuda":
        raise CommandError(f"--space {space} needs a CUDA target (e.g. --target cuda), got {str(target)!r}")


def check_best(database, workload, target) -> dict:
    """The best schedule re-built here: whether it matches numpy, and its time and the
    unscheduled program's, both measured here side by side (so their ratio is fair)."""
    from .codegen import build
    from .tir_integration import compile_tir

    sch = compile_tir(database, workload.func, target)
    arrays = workload.make_inputs(seed=1)
    best = build(sch.mod, target)
    if target.kind == "cuda":  # on the GPU; no speed-up: the unscheduled kernel is one thread
        from .runner.cuda_evaluate import CudaModule

        gpu = CudaModule(best)
        try:
            arrays = gpu.run(*arrays)
            gpu.fetch(arrays)
        finally:
            gpu.close()
        return {"correct": bool(workload.compare(arrays)[0]), "baseline_ms": None, "speedup": None}
    best(*arrays)
    correct, _ = workload.compare(arrays)
    plain = build(workload.func, target)
    best_s = plain_s = math.inf
    for _ in range(ROUNDS):  # interleaved, so both see the same machine load; the minimum of each
        best_s = min(best_s, *best.time(*arrays, number=1, repeat=5))
        plain_s = min(plain_s, *plain.time(*arrays, number=1, repeat=1))
    return {"correct": bool(correct), "baseline_ms": plain_s * 1e3,
            "speedup": plain_s / best_s if best_s > 0 else None}


def sized_pools(args) -> tuple:
    """--builder/--runner as tune_tir takes them: the kind name, or a Ray pool of the size asked
    for (the default pools size themselves to the cluster's free resources; `run` checked that
    a size comes with the ray kind)."""
    from .builder import Builder
    from .runner import Runner

    pools = []
    for kind, size, base, key in ((args.builder, args.num_builders, Builder, "num_builders"),
                                  (args.runner, args.num_runners, Runner, "num_runners")):
        pools.append(kind if size is None else base.create("ray", **{key: size}))
    return tuple(pools)


def _say(text: str) -> None:
    print(f"raytune_ms: {text}", file=sys.stderr, flush=True)


def run(args) -> int:
    from . import workloads
    from .database import Database
    from .progress import ProgressBar, format_ms
    from .search_strategy.measured_traces import MeasuredTraces
    from .stop_signal import StopOnSignal, interrupted_line
    from .target import Target
    from .tune import run_tuning, tir_tasks

    for kind, size, flag in ((args.builder, args.num_builders, "builder"), (args.runner, args.num_runners, "runner")):
        if size is not None and kind != "ray":
            raise CommandError(f"--num-{flag}s needs --{flag} ray")
    strategy = args.strategy
    if args.search_workers is not None:
        if args.search_workers > 1 and (args.strategy != "evolutionary" or "ray" not in (args.builder, args.runner)):
            raise CommandError(f"--search-workers {args.search_workers} needs --strategy evolutionary and a Ray "
                               f"builder or runner (got --strategy {args.strategy}, --builder {args.builder}, "
                               f"--runner {args.runner})")
        if args.strategy == "evolutionary":
            from .search_strategy import EvolutionarySearch

            strategy = EvolutionarySearch(search_workers=args.search_workers)
    address = os.environ.get("RAY_ADDRESS")
    if address and "ray" in (args.builder, args.runner):  # a stopped cluster: fail now, not in minutes
        from .ray_address import check_address

        try:
            check_address(address)
        except ConnectionError as err:
            raise CommandError(str(err)) from None
    name = args.workload  # the task name: `raytune-ms db top DIR --workload NAME` finds it
    target = Target(args.target)
    check_space_target(args.space, target)
    if target.kind == "cuda":  # else the runners would wait for a GPU that never comes
        from .runner.cuda_evaluate import gpu_unavailable_reason

        reason = gpu_unavailable_reason()
        if reason is not None:
            dtype = "" if args.dtype == "float32" else f" --dtype {args.dtype}"
            raise CommandError(f"target {args.target!r} is measured on a GPU: {reason}. Sampling and NVRTC "
                               f"builds need no GPU: raytune-ms space --workload {args.workload} --target "
                               f"{args.target} --space {args.space}{dtype} --build N")
    try:
        workload = workloads.get(args.workload, args.size, workload_dtype(args))
    except ValueError as err:
        raise CommandError(str(err)) from None
    stop = StopOnSignal()
    with stop:  # Ctrl-C from here on ends with the one-line summary, exit 130
        database = Database.create("parquet", work_dir=args.work_dir)
        found = len(MeasuredTraces(database, workload.func, target))
        if found:
            _say(f"resuming: {found} record(s) of {name} found in {database.uri} (not measured again); "
                 f"{args.trials} more trial(s) to run")
        result = None
        start = time.time()
        if not stop.requested:
            tasks = tir_tasks(workload.func, target, space=resolve_space(args.space, args.workload, target),
                              strategy=strategy, seed=args.seed, task_name=name,
                              baseline=workloads.SuiteBaseline(args.workload, args.size, workload_dtype(args)))
            bar = ProgressBar(args.trials, workload.flops, not args.no_progress)
            builder, runner = sized_pools(args)
            try:
                result = run_tuning(
                    tasks=tasks, task_weights=[1.0], work_dir=args.work_dir, max_trials_global=args.trials,
                    num_trials_per_iter=args.num_trials_per_iter, builder=builder, runner=runner,
                    database=database, cost_model=args.cost_model, task_scheduler=args.task_scheduler,
                    progress_callback=bar, stop=stop, remeasure_top_k=args.remeasure_top_k,
                )
                bar(result.progress())
            finally:
                bar.close()
                for pool in (builder, runner):
                    if not isinstance(pool, str):
                        pool.shutdown()
        wall = time.time() - start
        if stop.requested:
            trials = 0 if result is None else result.trials
            saved = 0 if result is None else result.records_saved
            print(interrupted_line(trials, saved), file=sys.stderr, flush=True)
            return stop.exit_code
        record = database.query_tuning_record(workload.func, target, name)
        checked = check_best(database, workload, target) if record is not None else {}
    best_ms = record.mean_run_secs * 1e3 if record is not None else None
    if result is not None:
        print(result.tuning_statistics(), file=sys.stderr)
    stop_reason = None if result is None else result.stop_reason
    summary = {
        "workload": name,
        "trials": 0 if result is None else result.trials,
        "records": len(MeasuredTraces(database, workload.func, target)),
        "best_ms": best_ms,
        "gflops": workload.flops / (best_ms * 1e-3) / 1e9 if best_ms else None,
        "speedup": checked.get("speedup"),
        "correct": checked.get("correct", False),
        "stop_reason": stop_reason,
        "wall_s": round(wall, 3),
        "database": database.uri,
    }
    if args.json:
        print(json.dumps(summary), flush=True)
    else:
        gf = "n/a" if summary["gflops"] is None else f"{summary['gflops']:.2f} GFLOP/s"
        speedup = "" if summary["speedup"] is None else f", {summary['speedup']:.1f}x the unscheduled program"
        ended = "" if stop_reason is None else f" (ended early: {stop_reason})"
        print(f"{name}: {summary['trials']} trials{ended}, best {format_ms(best_ms)} = {gf}{speedup}, "
              f"correct={summary['correct']}, {wall:.1f} s, database {summary['database']}")
    return 0 if best_ms is not None else 1
