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

Prints one JSON line: {"bench": "trace_replay", "median_ms": ..., "mutated_plain_ms": ...,
"mutated_cached_ms": ..., ...}.
Usage: python bench/trace_replay.py [--repeat 200] [--profile]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from raytune_ms import tir
from raytune_ms.schedule import Schedule, Trace
from raytune_ms.schedule.replay_cache import ReplayCache
from raytune_ms.schedule.sampling import RandState, sample_perfect_tile
from raytune_ms.testing import matmul, tile_matmul


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--profile", action="store_true")
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


if __name__ == "__main__":
    main()
