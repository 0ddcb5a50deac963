"""Benchmark: PerStoreFeature's time per candidate, next to lowering alone and trace replay.

Feature extraction runs on every candidate the search scores (thousands per iteration), so it
sits on the search's hot path with replay. Candidates are the hand-written spaces' traces
replayed with fresh decisions (GMM, GMM-1024: matmul space; C2D: conv space) and, for SFM,
a simple manual schedule (rows in parallel, the inner loops split by sampled factors and
vectorized). Each candidate is extracted by a fresh extractor (no cache hit). Times are the
process's CPU time (time.process_time: on an idle machine the wall time, and not inflated by
other processes on a shared one), measured interleaved, so their ratios are comparable.

Prints one JSON line per workload: {"bench": "feature_extraction", "workload", "rows",
"extract_ms", "lower_ms", "replay_ms"} (medians per candidate).
Usage: python bench/feature_extraction.py [--candidates 30]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from raytune_ms import workloads
from raytune_ms.codegen import lower
from raytune_ms.feature_extractor import PerStoreFeature
from raytune_ms.schedule import Schedule, Trace
from raytune_ms.spaces import conv_space, matmul_space


def softmax_schedule(sch):
    for name in ("T_softmax_maxelem", "T_softmax_exp", "T_softmax_expsum", "T_softmax_norm"):
        block = sch.get_block(name)
        loops = sch.get_loops(block)
        sch.parallel(loops[0])
        if name in ("T_softmax_exp", "T_softmax_norm"):
            inner = sch.split(loops[-1], sch.sample_perfect_tile(loops[-1], 2, 16))
            sch.vectorize(inner[-1])
    return [sch]


CASES = (("GMM", "standard", matmul_space), ("GMM-1024", "standard", matmul_space),
         ("C2D", "standard", conv_space), ("SFM", "standard", softmax_schedule))


def replayed(func, spaces, seed):
    trace = spaces[seed % len(spaces)].trace.simplified(remove_postproc=True)
    sch = Schedule(func, seed=seed)
    Trace(trace.insts, {}).apply_to_schedule(sch, remove_postproc=True)
    return sch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--candidates", type=int, default=30)
    args = ap.parse_args()
    for name, size, space in CASES:
        wl = workloads.get(name, size)
        spaces = space(Schedule(wl.func, seed=1))
        replay, lowering, extract, rows = [], [], [], 0
        for seed in range(args.candidates):
            t0 = time.process_time()
            sch = replayed(wl.func, spaces, seed)
            t1 = time.process_time()
            lower(sch.mod["main"])
            t2 = time.process_time()
            feats = PerStoreFeature().extract_func(sch.mod)
            t3 = time.process_time()
            replay.append(t1 - t0)
            lowering.append(t2 - t1)
            extract.append(t3 - t2)
            rows = max(rows, feats.shape[0])
        print(json.dumps({"bench": "feature_extraction", "workload": name, "rows": rows,
                          "extract_ms": round(statistics.median(extract) * 1e3, 3),
                          "lower_ms": round(statistics.median(lowering) * 1e3, 3),
                          "replay_ms": round(statistics.median(replay) * 1e3, 3)}))


if __name__ == "__main__":
    main()
