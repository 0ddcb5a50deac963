"""Benchmark: the time EvolutionarySearch takes to choose one batch (no building or running).

GMM-1024 (or another suite workload) on the automatic space; the XGB model is first trained on
16 random candidates with made-up run times, so that scoring extracts features as it does in a
real run. CPU seconds are reported next to wall seconds (a shared machine inflates wall time).
With --batches N, N batches in a row: each batch's candidates get made-up run times (from their
structural hash, so the same program always gets the same time), go into the database (whose
best seed the next population) and train the model, as measured results would.

Prints one JSON line per batch: {"bench": "evolutionary_batch", "batch": i, "cpu_s": ...,
"wall_s": ..., phases ...}.
Usage: python bench/evolutionary_batch.py [--workload GMM-1024] [--population 512] [--batch 64]
       [--batches 1] [--search-workers N]   (N > 1: the slot work on this process and N - 1 Ray actors)
"""

from __future__ import annotations

import argparse
import json
import random
import time

import raytune_ms as ms
from raytune_ms import tir
from raytune_ms.cost_model import XGBModel
from raytune_ms.database import MemoryDatabase, TuningRecord
from raytune_ms.profiler import Profiler
from raytune_ms.runner import RunnerResult
from raytune_ms.search_strategy import EvolutionarySearch
from raytune_ms.tune_context import TuneContext


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workload", default="GMM-1024")
    ap.add_argument("--size", default="standard")
    ap.add_argument("--population", type=int, default=512)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--batches", type=int, default=1)
    ap.add_argument("--search-workers", type=int, default=0)
    args = ap.parse_args()
    cmap = None
    if args.search_workers > 1:
        from actors.search_workers import RayCandidateMap

        cmap = RayCandidateMap(args.search_workers)
    wl = ms.workloads.get(args.workload, args.size)
    strategy = EvolutionarySearch(population_size=args.population,
                                  init_min_unmeasured=min(50, max(1, args.population // 2)), candidate_map=cmap)
    ctx = TuneContext(wl.func, target="llvm", space_generator="post-order-apply", search_strategy=strategy,
                      rand_state=args.seed)
    model = XGBModel(num_warmup_samples=0)
    database = MemoryDatabase()
    ctx.pre_tuning(max_trials=(args.batches + 1) * args.batch, num_trials_per_iter=args.batch, database=database,
                   cost_model=model)
    warm = strategy._random_members(strategy._run, 16)
    rng = random.Random(0)
    model.update(ctx, [strategy._candidate(m) for m in warm], [RunnerResult([rng.uniform(1e-3, 1e-2)]) for _ in warm])
    workload = database.commit_workload(ctx.mod)
    for i in range(args.batches):
        replays_before = strategy._run.num_replays
        workers_before = getattr(cmap, "worker_cpu_s", 0.0)
        with Profiler() as profiler:
            wall, cpu = time.perf_counter(), time.process_time()
            batch = ctx.generate_measure_candidates() or []
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        phases = {k: round(v, 3) for k, v in profiler.get().items()}
        print(json.dumps({"bench": "evolutionary_batch", "workload": args.workload, "population": args.population,
                          "search_workers": args.search_workers,
                          "batch": i, "candidates": len(batch), "cpu_s": round(cpu, 3), "wall_s": round(wall, 3),
                          "workers_cpu_s": round(getattr(cmap, "worker_cpu_s", 0.0) - workers_before, 3),
                          "replays": strategy._run.num_replays - replays_before, "mutated": strategy._run.num_mutated,
                          "phases": phases}), flush=True)
        results = [RunnerResult([made_up_run_secs(cand)]) for cand in batch]
        for cand, result in zip(batch, results):
            database.commit_tuning_record(TuningRecord(cand.sch.trace, workload, result.run_secs, ctx.target,
                                                       cand.args_info))
        model.update(ctx, batch, results)


def made_up_run_secs(cand) -> float:
    """A run time in [1, 10) ms that depends only on the candidate's program."""
    return 1e-3 + 9e-3 * int(tir.structural_hash(cand.sch.mod)[:8], 16) / 2**32


if __name__ == "__main__":
    main()
