"""Benchmark: replaying a typical tiled-matmul trace from JSON.

The search replays thousands of traces per iteration (each mutation replays its trace on a
fresh Schedule of the task's program), so this is the hot path of the tuner's Python side. The
trace is the CPU multi-level tiling of a 128^3 matmul with a fused epilogue (~20
instructions: 3 sample_perfect_tile + 3 split, reorder, cache_write, reverse_compute_at,
fuse, parallel, vectorize, an unroll annotation). Every replay parses the JSON and draws new
tile decisions, like a mutator does.

Prints one JSON line: {"bench": "trace_replay", "median_ms": ..., ...}.
Usage: python bench/trace_replay.py [--repeat 200] [--profile]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from raytune_ms import tir
from raytune_ms.schedule import Schedule, Trace
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
    print(json.dumps({
        "bench": "trace_replay", "instructions": n_inst, "repeat": args.repeat,
        "median_ms": round(statistics.median(times) * 1e3, 4),
        "p90_ms": round(sorted(times)[int(0.9 * len(times))] * 1e3, 4),
        "target_ms": 2.0, "program_hash": tir.structural_hash(sch.mod),
    }))


if __name__ == "__main__":
    main()
