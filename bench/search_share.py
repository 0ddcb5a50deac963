"""Benchmark: the evolutionary search's share of the wall time of a real tuning run.

Tunes one suite op (GMM-1024, standard size, by default) from an empty database on the host CPU
the way tune_tir does (automatic space, EvolutionarySearch, XGB cost model, 64 trials per batch)
with the builder and runner on local Ray, the task scheduler in this process so that each
batch's search can be timed. Prints one JSON line: wall seconds, trials/min, the best kernel
found, the Profiler's phases, the search's share of the run's wall time, and per batch (drawn
from random replays while the model scores at random, before its warm-up; evolved after) the
search's seconds (wall and CPU) and its share of the time from that batch's start to the next
one's (the last: to the end of the run).

search_workers: the search's worker processes (default 2, as tune_tir over Ray; 1: in process).

Usage: python bench/search_share.py [--trials 128] [--op GMM-1024] [--size standard] [--seed 1]
       [--search-workers N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

from suite_vs_torch import cpu_info  # a sibling script: bench/ is on the path of a bench

from raytune_ms import workloads
from raytune_ms.profiler import Profiler
from raytune_ms.search_strategy import EvolutionarySearch
from raytune_ms.tune import run_tuning, tir_tasks

SEARCH = "SearchStrategy/GenerateMeasureCandidates"


class TimedSearch(EvolutionarySearch):
    """EvolutionarySearch that keeps (start, end, candidates, CPU seconds of its thread, CPU
    seconds of its worker processes, the batch's own phases and counters) of every batch it
    chooses (CPU seconds: other work on a shared machine inflates wall time)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.spans: list = []

    def generate_measure_candidates(self):
        start, cpu, workers = time.perf_counter(), time.thread_time(), self._workers_cpu()
        before = self._counters()
        with Profiler() as prof:
            out = super().generate_measure_candidates()
        after = self._counters()
        phases = {k.split("/")[-1]: round(v, 3) for k, v in prof.get().items()
                  if k.startswith("EvolutionarySearch/")}
        phases.update({k: after[k] - before[k] for k in after})
        self.spans.append((start, time.perf_counter(), len(out or []), time.thread_time() - cpu,
                           self._workers_cpu() - workers, phases))
        return out

    def _counters(self) -> dict:
        state = self._run
        return {k: getattr(state, k, 0) for k in ("num_replays", "num_mutated")}

    def _workers_cpu(self) -> float:
        return getattr(self.candidate_map, "worker_cpu_s", 0.0)


def batch_shares(spans: list, end: float) -> list:
    """Per batch that handed out candidates: its search seconds (wall and CPU) and their share
    of the time from its start to the next batch's start (the last batch's: to `end`)."""
    spans = [s for s in spans if s[2] > 0]
    out = []
    for i, (start, stop, n, cpu, workers, phases) in enumerate(spans):
        until = spans[i + 1][0] if i + 1 < len(spans) else end
        out.append({"candidates": n, "search_s": round(stop - start, 3), "search_cpu_s": round(cpu, 3),
                    "workers_cpu_s": round(workers, 3),
                    "span_s": round(until - start, 3), "share": round((stop - start) / max(until - start, 1e-9), 4),
                    "phases": phases})
    return out


def measure(op: str, size: str, trials: int, seed: int, population: int | None,
            search_workers: int | None = 2) -> dict:
    from raytune_ms.builder import Builder
    from raytune_ms.runner import Runner

    sizes = {} if population is None else {"population_size": population,
                                           "init_min_unmeasured": max(1, min(50, population // 2))}
    strategy = TimedSearch(search_workers=search_workers, **sizes)
    cmap = None
    if strategy.workers_wanted() > 1:  # what run_tuning would plug in, kept here for its CPU seconds
        from actors.search_workers import RayCandidateMap

        cmap = strategy.candidate_map = RayCandidateMap(strategy.workers_wanted())
    tasks = tir_tasks(workloads.get(op, size).func, "llvm", strategy=strategy, seed=seed, task_name=op,
                      baseline=workloads.SuiteBaseline(op, size))
    builder, runner = Builder.create("ray"), Runner.create("ray")
    try:
        with tempfile.TemporaryDirectory(prefix="search_share_") as work_dir:
            start = time.perf_counter()
            result = run_tuning(tasks=tasks, task_weights=[1.0], work_dir=work_dir, max_trials_global=trials,
                                num_trials_per_iter=64, builder=builder, runner=runner, cost_model="xgb",
                                scheduler_in_actor=False)
            end = time.perf_counter()
    finally:
        builder.shutdown()
        runner.shutdown()
        if cmap is not None:
            cmap.shutdown()
    phases = {k: round(v, 3) for k, v in sorted(result.profile.items(), key=lambda kv: -kv[1])}
    total = result.profile.get("Total", end - start)
    batches = batch_shares(strategy.spans, end)
    trained = [b for b in batches if "Evolve" in b["phases"]]  # the batches a trained model chose
    trained_span = sum(b["span_s"] for b in trained)
    return {
        "wall_s": round(total, 2), "trials": result.trials, "best_ms": result.tasks[0].best_ms,
        "best_gflops": round(result.tasks[0].gflops, 1), "trials_per_min": round(60 * result.trials / total, 1),
        "search_s": round(result.profile.get(SEARCH, 0.0), 3),
        "search_cpu_s": round(sum(b["search_cpu_s"] for b in batches), 3),
        "search_workers_cpu_s": None if cmap is None else round(cmap.worker_cpu_s, 3),
        "search_share": round(result.profile.get(SEARCH, 0.0) / total, 4),
        "trained_search_share": round(sum(b["search_s"] for b in trained) / trained_span, 4) if trained else None,
        "batches": batches, "phases": phases,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--op", default="GMM-1024")
    ap.add_argument("--size", default="standard")
    ap.add_argument("--trials", type=int, default=128)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--population", type=int, default=None, help="evolutionary population (default 512)")
    ap.add_argument("--search-workers", type=int, default=2,
                    help="the search's worker processes (1: in process)")
    args = ap.parse_args(argv)
    load = os.getloadavg()[0]
    cpu = os.times()
    run = measure(args.op, args.size, args.trials, args.seed, args.population, args.search_workers)
    done = os.times()
    print(json.dumps({"bench": "search_share", **cpu_info(), "op": args.op, "size": args.size,
                      "seed": args.seed, "search_workers": args.search_workers,
                      "process_cpu_s": round(done.user + done.system - cpu.user - cpu.system, 2),
                      "load_avg_1min_before": round(load, 2),
                      "load_avg_1min_after": round(os.getloadavg()[0], 2), **run}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
