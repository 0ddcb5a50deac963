"""`raytune-ms tune-model`: tune a PyTorch model's tasks, compile it on the best schedules, check
it against PyTorch eager and time both (same process, median of --repeat calls).

    raytune-ms tune-model --model torchvision.models:resnet18 --input-shape 1,3,224,224 \\
        --trials 640 --work-dir runs/resnet18

--model names a factory (MODULE:FACTORY, called with no arguments; the module must be
importable); --input-shape is given once per model input (random float32 values). Progress on
stderr, then the per-task statistics table; the summary (a JSON line with --json) on stdout.
"""

from __future__ import annotations

import json
import sys
import time


def register(subparsers) -> None:
    p = subparsers.add_parser("tune-model", help="tune and compile a PyTorch model", description=__doc__,
                              formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="MODULE:FACTORY returning an nn.Module")
    p.add_argument("--input-shape", action="append", required=True, help="e.g. 1,3,224,224 (once per input)")
    p.add_argument("--target", default="llvm")
    p.add_argument("--trials", type=int, default=64, help="max trials (global)")
    p.add_argument("--max-trials-per-task", type=int, default=None)
    p.add_argument("--op-names", default=None, help="comma-separated: tune only tasks whose name contains one")
    p.add_argument("--work-dir", required=True)
    p.add_argument("--space", default="post-order-apply",
                   help="post-order-apply, or MODULE:FUNCTION, a schedule function that is the whole space")
    p.add_argument("--strategy", default="replay-trace")
    p.add_argument("--cost-model", default="random")
    p.add_argument("--num-trials-per-iter", type=int, default=64)
    p.add_argument("--task-scheduler", default="gradient", choices=("gradient", "round-robin"))
    p.add_argument("--builder", default="ray", choices=("ray", "local"))
    p.add_argument("--runner", default="ray", choices=("ray", "local"))
    p.add_argument("--database", default="parquet", choices=("parquet", "json", "memory"))
    p.add_argument("--repeat", type=int, default=5, help="calls timed for the end-to-end latency")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--json", action="store_true")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=run)


def resolve_space(space: str):
    if ":" not in space:
        return space
    from . import _registry
    from .space_generator import ScheduleFn

    return ScheduleFn(_registry.load(space), sch_rules=None, postprocs=None, mutator_probs=None)


def median_ms(fn, x, repeat: int) -> float:
    fn(*x)  # warm up
    times = []
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        fn(*x)
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2] * 1e3


def run(args) -> int:
    import torch

    from . import _registry
    from .compiled_model import compile_model
    from .progress import ProgressBar
    from .torch_integration import run_model_tuning

    model = _registry.load(args.model)().eval()
    gen = torch.Generator().manual_seed(0)
    inputs = tuple(torch.randn(*[int(d) for d in s.split(",")], generator=gen) for s in args.input_shape)
    bar = ProgressBar(args.trials, 0, not args.no_progress)
    start = time.time()
    try:
        result = run_model_tuning(
            model, inputs, args.target, args.work_dir, args.trials, max_trials_per_task=args.max_trials_per_task,
            op_names=args.op_names.split(",") if args.op_names else None,
            num_trials_per_iter=args.num_trials_per_iter, builder=args.builder, runner=args.runner,
            database=args.database, cost_model=args.cost_model, task_scheduler=args.task_scheduler,
            space=resolve_space(args.space), strategy=args.strategy, seed=args.seed, progress_callback=bar,
        )
    finally:
        bar.close()
    wall = time.time() - start
    print(result.tuning_statistics(), file=sys.stderr)
    compiled = compile_model(result.database, model, inputs, args.target)
    with torch.no_grad():
        want = model(*inputs)
        got = compiled(*inputs)
        err = float((got - want).abs().max()) if isinstance(want, torch.Tensor) else max(
            float((g - w).abs().max()) for g, w in zip(got, want))
        compiled_ms, eager_ms = median_ms(compiled, inputs, args.repeat), median_ms(model, inputs, args.repeat)
    summary = {
        "model": args.model, "tasks": len(compiled.how),
        "tuned": sum(h != "unscheduled" for h in compiled.how.values()),
        "trials": result.trials, "compiled_ms": round(compiled_ms, 4), "eager_ms": round(eager_ms, 4),
        "max_abs_err": err, "wall_s": round(wall, 3), "database": getattr(result.database, "uri", None),
    }
    if args.json:
        print(json.dumps(summary), flush=True)
    else:
        print(f"{args.model}: {summary['tasks']} tasks ({summary['tuned']} scheduled from records), "
              f"{summary['trials']} trials, compiled {compiled_ms:.3f} ms vs eager {eager_ms:.3f} ms, "
              f"max abs error {err:.2e}, {wall:.1f} s")
    return 0
