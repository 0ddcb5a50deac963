"""Benchmark: a whole PyTorch model tuned task by task, compiled, and timed against PyTorch eager
in the same process (2 threads each: torch.set_num_threads(2), our kernels built for
"llvm -num-cores=2").

Models (torch.nn only, raytune_ms.testing.torch_models): "resnet18" (1x3x224x224), "bert" (a
BERT-base encoder layer, hidden 768, 12 heads, sequence 128), and the tiny "tiny-bert" (hidden
64, 4 heads, sequence 16) for the quick test. Each task gets `--trials-per-task` trials (local
builder and runner, in-memory database; replay-trace with a random cost model by default, the
issue-9 setting). Then:
- per task (raytune_ms.model_profile): its kernel timed by the artifact's own C harness against
  the task's anchor aten op run by PyTorch on the same input values (the anchor alone: the
  element-wise ops fused into our kernel are not in torch's figure, so torch_ms is a lower bound
  of what torch spends there; None for a kernel without a reduction, a pure layout kernel);
- end to end: the compiled model (a Python loop over its kernels) against model(*inputs) under
  torch.no_grad(), and the largest absolute difference of their outputs.
Both sides are timed with suite_vs_torch.time_side_by_side (interleaved rounds, best call, a
pause between the sides so that neither OpenMP runtime's spinning threads steal the cores).

Prints JSON lines: the CPU (lscpu model, AVX-512), then per model one line per task
{"model", "task", "weight", "trials", "how", "ours_ms", "torch_ms", "share"} (share: the task's
part of the sum of kernel times, weight counted) and one end-to-end line {"model", "shape",
"tasks", "trials", "ours_ms", "eager_ms", "speed" (eager_ms / ours_ms), "kernels_ms",
"max_abs_err", "tune_wall_s"}.
Usage: python bench/model_vs_eager.py [--models resnet18,bert] [--trials-per-task 8]
       [--rounds 10] [--calls 3] [--strategy replay-trace] [--cost-model random] [--op-names linear]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from suite_vs_torch import TARGET, THREADS, _ms, cpu_info, time_side_by_side  # noqa: E402 (sets OMP_NUM_THREADS)


def _models() -> dict:
    from raytune_ms.testing.torch_models import BertLayer, ResNet18, randomize_batch_norms

    return {
        "resnet18": (lambda: randomize_batch_norms(ResNet18()), (1, 3, 224, 224)),
        "bert": (BertLayer, (1, 128, 768)),
        "tiny-bert": (lambda: BertLayer(hidden=64, heads=4, ffn=128), (1, 16, 64)),
    }


MODELS = ("resnet18", "bert", "tiny-bert")


class TimedCall:
    """A Python callable with the artifact's `time()` signature, so that time_side_by_side
    times a whole compiled model like one kernel (perf_counter around each call)."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, *args):
        return self.fn(*args)

    def time(self, *args, number: int = 1, repeat: int = 1, min_repeat_ms: int = 0) -> list:
        out = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            for _ in range(number):
                self.fn(*args)
            out.append((time.perf_counter() - t0) / number)
        return out


def tune(model, inputs, trials_per_task: int, work_dir: str, strategy: str, cost_model: str, seed,
         op_names=None):
    from raytune_ms.torch_integration import extract_tasks, run_model_tuning

    tasks = extract_tasks(model, inputs, TARGET)
    n = len([t for t in tasks if op_names is None or any(op in t.task_name for op in op_names)])
    return run_model_tuning(
        model, inputs, TARGET, work_dir, trials_per_task * n, max_trials_per_task=trials_per_task,
        op_names=op_names, num_trials_per_iter=max(1, min(trials_per_task, 16)), builder="local", runner="local",
        database="memory", cost_model=cost_model, strategy=strategy, task_scheduler="round-robin", seed=seed,
    )


def bench_model(name: str, trials_per_task: int, rounds: int, calls: int, strategy: str = "replay-trace",
                cost_model: str = "random", seed=1, op_names=None) -> list:
    """Tune, compile, check and time one model; its JSON rows (tasks, then end to end)."""
    import torch

    from raytune_ms.compiled_model import compile_model
    from raytune_ms.model_profile import task_kernels

    torch.set_num_threads(THREADS)
    factory, shape = _models()[name]
    model = factory().eval()
    inputs = (torch.randn(*shape, generator=torch.Generator().manual_seed(0)),)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"model_vs_eager_{name}_") as work_dir:
        result = tune(model, inputs, trials_per_task, work_dir, strategy, cost_model, seed, op_names)
        wall = time.perf_counter() - t0
        compiled = compile_model(result.database, model, inputs, TARGET)
    with torch.no_grad():
        want = model(*inputs)
        err = float((compiled(*inputs) - want).abs().max())

    trials = {t.task_name: t.trials for t in result.tasks}
    rows = []
    for task in task_kernels(compiled, model, inputs, TARGET):
        if task.torch_call is None:
            ours = min(min(task.kernel.time(*task.args, number=1, repeat=calls, min_repeat_ms=0))
                       for _ in range(rounds))
            theirs = None
        else:
            ours, theirs = time_side_by_side(task.kernel, task.torch_call, task.env, task.args, rounds, calls)
        rows.append({"model": name, "task": task.task_name, "weight": task.weight,
                     "trials": trials.get(task.task_name, 0), "how": task.how,
                     "ours_ms": _ms(ours), "torch_ms": None if theirs is None else _ms(theirs)})
    kernels_ms = sum(r["ours_ms"] * r["weight"] for r in rows)
    for r in rows:
        r["share"] = round(r["ours_ms"] * r["weight"] / kernels_ms, 3)

    with torch.no_grad():
        ours, eager = time_side_by_side(TimedCall(compiled), lambda x: model(*x), inputs, inputs, rounds, calls)
    rows.append({"model": name, "shape": list(shape), "tasks": len(rows), "trials": result.trials,
                 "ours_ms": _ms(ours), "eager_ms": _ms(eager), "speed": round(eager / ours, 3),
                 "kernels_ms": float(f"{kernels_ms:.4g}"), "max_abs_err": err, "tune_wall_s": round(wall, 1)})
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", default="resnet18,bert", help=f"comma-separated, of {', '.join(MODELS)}")
    p.add_argument("--trials-per-task", type=int, default=8)
    p.add_argument("--strategy", default="replay-trace")
    p.add_argument("--cost-model", default="random")
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--calls", type=int, default=3)
    p.add_argument("--seed", type=int, default=1, help="tuning seed, >= 1")
    p.add_argument("--op-names", default=None,
                   help="comma-separated: tune only the tasks whose name contains one (the rest run untuned)")
    args = p.parse_args(argv)
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        raise SystemExit(f"model_vs_eager: unknown model(s) {unknown}; choose from {list(MODELS)}")
    ops = [o.strip() for o in args.op_names.split(",") if o.strip()] if args.op_names else None
    print(json.dumps(cpu_info()), flush=True)
    for name in names:
        for row in bench_model(name, args.trials_per_task, args.rounds, args.calls, args.strategy,
                               args.cost_model, args.seed, ops):
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
