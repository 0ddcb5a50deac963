"""Benchmark: replaying a typical tiled-matmul trace from JSON.

The search replays thousands of traces per iteration (each mutation replays its trace on a
fresh Schedule of the task's program), so this is the hot path of the tuner's Python side. The
trace is the CPU multi-level tiling of a 128^3 matmul with a fused epilogue (~20
instructions: 3 sample_perfect_tile + 3 split, reorder, cache_write, reverse_compute_at,
fuse, parallel, vectorize, an unroll annotation). Every replay parses the JSON and draws new
tile decisions, like a mutator does.

A second measurement replays the same trace with ONE tile decision changed (what a tile-size
mutation replays), plainly and through a ReplayCache that holds the unchanged trace's states
(the search's incremental replay), side by side; `mutated_same_program` checks both give the
same structural hash.

A third measurement is the search's own per-candidate work on a suite workload's automatic
design space (default GMM-1024 standard), phase by phase, as EvolutionarySearch does it: a
random replay of a space through the shared ReplayCache, the postprocessors, the structural
hash, PerStoreFeature (a fresh extractor: no cache hit), and a mutation through the target's
mutators (drawn in turn; the mutator replays its output through the cache). Times are CPU
seconds of this process (time.process_time: not inflated by other processes on a shared
machine), means per candidate, with the cyclic GC paused as the search pauses it
(`--gc on` keeps it running); `python_calls` counts the Python calls per candidate of the
random replay + postprocessing (cProfile, a separate pass).

Prints two JSON lines: {"bench": "trace_replay", "median_ms": ..., "mutated_plain_ms": ...,
"mutated_cached_ms": ..., ...} and {"bench": "trace_replay_search", "workload": ...,
"random_replay_ms", "mutated_replay_ms", "postproc_ms", "shash_ms", "features_ms",
"python_calls", "cpu", "avx512"}.
Usage: python bench/trace_replay.py [--repeat 200] [--profile] [--workload GMM-1024]
       [--candidates 100] [--gc off|on]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import statistics
import time

from search_compare import cpu_info  # (bench/ is on the path of a bench script)

from raytune_ms import tir, workloads
from raytune_ms.feature_extractor import PerStoreFeature
from raytune_ms.schedule import Schedule, Trace
from raytune_ms.schedule.replay_cache import ReplayCache, replay_cache
from raytune_ms.schedule.sampling import RandState, sample_perfect_tile
from raytune_ms.search_strategy.gc_pause import gc_paused
from raytune_ms.search_strategy.search_strategy import candidate_from_schedule
from raytune_ms.testing import matmul, tile_matmul


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--workload", default="GMM-1024")
    ap.add_argument("--size", default="standard")
    ap.add_argument("--candidates", type=int, default=100)
    ap.add_argument("--gc", default="off", choices=("off", "on"), help="the cyclic GC during the search phases")
    args = ap.parse_args()
    func = matmul(128, 128, 128)
    tiled = tile_matmul(Schedule(func, seed=0), cache=True, max_innermost_factor=64, inline_epilogue=True)
    trace_json = json.dumps(tiled.trace.as_json())
    rng = RandState(1)

    def new_tiles(inst, inputs, attrs, decision):
        if inst.kind.name == "SamplePerfectTile":
            return sample_perfect_tile(rng, 128, attrs[0], attrs[1])
        return decision

    def replay():
        sch = Schedule(func, seed=0)
        Trace.from_json(json.loads(trace_json)).apply_to_schedule(sch, False, new_tiles)
        return sch

    for _ in range(10):
        replay()
    if args.profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        for _ in range(args.repeat):
            replay()
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        sch = replay()
        times.append(time.perf_counter() - t0)
    n_inst = len(sch.trace)
    plain_ms, cached_ms, same = _mutated(func, sch.trace, args.repeat, rng)
    print(json.dumps({
        "bench": "trace_replay", "instructions": n_inst, "repeat": args.repeat,
        "median_ms": round(statistics.median(times) * 1e3, 4),
        "p90_ms": round(sorted(times)[int(0.9 * len(times))] * 1e3, 4),
        "target_ms": 2.0, "program_hash": tir.structural_hash(sch.mod),
        "mutated_plain_ms": plain_ms, "mutated_cached_ms": cached_ms, "mutated_same_program": same,
    }))
    with gc_paused() if args.gc == "off" else contextlib.nullcontext():
        phases = _search_phases(args.workload, args.size, args.candidates)
    print(json.dumps({"bench": "trace_replay_search", "workload": args.workload, "size": args.size,
                      "candidates": args.candidates, "gc": args.gc, **phases, **cpu_info()}))


def _mutated(func, base, repeat, rng):
    """Median ms of replaying `base` with one tile decision redrawn: plain, and through a
    ReplayCache holding `base`'s states; and whether both always gave the same program."""
    tiles = [inst for inst in base.insts if inst.kind.name == "SamplePerfectTile"]
    cache = ReplayCache(func)
    cache.replay(base)
    plain, cached, same = [], [], True
    for k in range(repeat):
        inst = tiles[k % len(tiles)]
        trace = base.with_decision(inst, sample_perfect_tile(rng, 128, inst.attrs[0], inst.attrs[1]),
                                   remove_postproc=True)
        t0 = time.perf_counter()
        a = Schedule(func, seed=0)
        trace.apply_to_schedule(a, remove_postproc=True)
        t1 = time.perf_counter()
        b = cache.replay(trace)
        t2 = time.perf_counter()
        plain.append(t1 - t0)
        cached.append(t2 - t1)
        same = same and tir.structural_hash(a.mod) == tir.structural_hash(b.mod)
    return round(statistics.median(plain) * 1e3, 4), round(statistics.median(cached) * 1e3, 4), same


def _search_phases(name, size, n):
    """Mean CPU ms per candidate of the search's phases on `name`'s automatic space, and the
    Python calls per candidate of random replay + postprocessing."""
    from raytune_ms.tune_context import TuneContext

    ctx = TuneContext(workloads.get(name, size).func, target="llvm", space_generator="post-order-apply",
                      rand_state=3)
    spaces = [Trace(s.trace.simplified(remove_postproc=True).insts, {}) for s in ctx.generate_design_space()]
    mutators = [m for m, p in ctx.space_generator.mutator_probs.items() if p > 0]
    cache = replay_cache(ctx.mod)
    rng = random.Random(5)
    times = {"random_replay_ms": [], "postproc_ms": [], "shash_ms": [], "features_ms": [], "mutated_replay_ms": []}

    def timed(phase, fn):
        t0 = time.process_time()
        out = fn()
        times[phase].append(time.process_time() - t0)
        return out

    def candidate(i):
        sch = cache.replay(spaces[i % len(spaces)], seed=rng.getrandbits(40))
        return candidate_from_schedule(sch, ctx.postprocs)

    parents = []
    for i in range(n):
        sch = timed("random_replay_ms", lambda i=i: cache.replay(spaces[i % len(spaces)], seed=rng.getrandbits(40)))
        cand = timed("postproc_ms", lambda sch=sch: candidate_from_schedule(sch, ctx.postprocs))
        if cand is None:
            continue
        timed("shash_ms", lambda cand=cand: tir.structural_hash(cand.sch.mod))
        timed("features_ms", lambda cand=cand: PerStoreFeature().extract_func(cand.sch.mod))
        parents.append(cand.sch.trace)
    for i in range(n if parents else 0):
        mutator = mutators[i % len(mutators)]
        timed("mutated_replay_ms", lambda i=i, m=mutator: m.apply_with_schedule(parents[i % len(parents)],
                                                                                 rng.getrandbits(40)))
    out = {k: round(statistics.mean(v) * 1e3, 3) if v else None for k, v in times.items()}
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    for i in range(n):
        candidate(i)
    prof.disable()
    out["python_calls"] = round(pstats.Stats(prof).total_calls / max(n, 1))
    return out


if __name__ == "__main__":
    main()
