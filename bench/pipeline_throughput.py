"""Candidates per second through builder -> runner -> database for a trivial kernel.

A vector add whose space only samples a three-level split, so every candidate is cheap to
build and to run and the figure measures the pipeline itself: the Ray actors, the object
store, the measurement slot, the Parquet store. Each configuration runs against warm actor
pools (their start-up is excluded) with the driver-side streaming loop, and prints one JSON line:

  {"builders": 1, "trials": 48, "wall_s": ..., "candidates_per_s": ...,
   "runner_idle_fraction": ..., "runner_slot_wait_s": ..., "build_s_mean": ..., "run_s_mean": ...}

runner_idle_fraction: the share of the wall time the runner was not measuring (waiting for
work or for builds on its machine to release the measurement slot).

    python bench/pipeline_throughput.py [--trials 48] [--builders 1 2] [--no-slot]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time


def trivial_kernel(n: int = 1 << 16):
    from raytune_ms import te

    a = te.placeholder((n,), name="A")
    b = te.compute((n,), lambda i: a[i] + 1.0, name="B")
    return te.create_prim_func([a, b])


def split_space(sch):
    block = sch.get_block("B")
    (loop,) = sch.get_loops(block)
    sch.split(loop, sch.sample_perfect_tile(loop, 3, 64))


def run_config(func, builders: int, trials: int, slot: bool) -> dict:
    import ray

    import raytune_ms as ms
    from actors import RayBuilder, RayRunner
    from raytune_ms.builder import BuilderInput
    from raytune_ms.runner import EvaluatorConfig

    builder = RayBuilder(num_builders=builders, slot=slot)
    runner = RayRunner(evaluator_config=EvaluatorConfig(number=1, repeat=1, min_repeat_ms=1), slot=slot)
    builder.build([BuilderInput(ms.tir.IRModule({"main": func}), "llvm")])  # warm the pools
    actor = runner._start().wait_started().actors[0]
    ray.get(actor.stats.remote())
    before = ray.get(actor.stats.remote())
    scheduler = ms.TaskScheduler.create("round-robin")
    with tempfile.TemporaryDirectory() as work_dir:
        start = time.perf_counter()
        db = ms.tune_tir(func, "llvm", work_dir, trials, num_trials_per_iter=16, builder=builder,
                         runner=runner, space=split_space, task_scheduler=scheduler, seed=builders,
                         scheduler_in_actor=False)
        wall = time.perf_counter() - start
        records = db.get_all_tuning_records()
    after = ray.get(actor.stats.remote())
    busy = after["busy_s"] - before["busy_s"]
    measured = after["measured"] - before["measured"]
    builder.shutdown()
    runner.shutdown()
    return {
        "builders": builders,
        "slot": slot,
        "trials": len(records),
        "errors": sum(1 for r in records if not r.is_valid()),
        "wall_s": round(wall, 3),
        "candidates_per_s": round(len(records) / wall, 3),
        "runner_idle_fraction": round(max(0.0, 1.0 - busy / wall), 3),
        "runner_slot_wait_s": round(after["slot_wait_s"] - before["slot_wait_s"], 3),
        "run_s_mean": round(busy / max(1, measured), 4),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=48)
    parser.add_argument("--builders", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--no-slot", action="store_true", help="also run without the measurement slot")
    args = parser.parse_args(argv)

    from actors import init_ray

    init_ray(num_cpus=max(args.builders) + 1)
    func = trivial_kernel()
    slots = [True, False] if args.no_slot else [True]
    for slot in slots:
        for builders in args.builders:
            print(json.dumps(run_config(func, builders, args.trials, slot)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
