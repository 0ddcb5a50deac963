"""Identity check for search-speed work: one digest of everything the search derives from
its design spaces, to compare between two versions of the code (run it with each on
PYTHONPATH; the digests must be equal).

Per workload (the 17 suite workloads at small size, GMM-1024 and C2D at standard size): the
design spaces (programs and traces), then for N seeds a plain replay and a ReplayCache replay
of a space, every mutator's output replayed through the cache, and for each of those the
program (hash and text), trace, random state, the postprocessed program and trace, the lowered
program and the PerStoreFeature bytes.

The target is pinned (TARGET: an AVX-512 CPU with 2 cores, 64-byte vectors, 32 vector
registers), not the host's, so two machines give the same digest for the same code; `--target`
picks another one.

Prints one JSON line per workload ({"workload", "size", "digest"}) and a last one with the
digest of them all (and the target). Usage: python bench/replay_digest.py [--seeds 8]
[--workloads GMM,C2D:standard] [--target "llvm -mcpu=znver3 -num-cores=2 -vector-bytes=32 -vector-registers=16"]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random

import numpy as np

from raytune_ms import tir, workloads
from raytune_ms.codegen import lower
from raytune_ms.feature_extractor import PerStoreFeature
from raytune_ms.mutator import Mutator
from raytune_ms.schedule import Schedule, ScheduleError, Trace
from raytune_ms.schedule.replay_cache import ReplayCache
from raytune_ms.search_strategy.search_strategy import candidate_from_schedule
from raytune_ms.tune_context import TuneContext

#: every option given, so that nothing is read from the host
TARGET = "llvm -mcpu=znver4 -num-cores=2 -vector-bytes=64 -vector-registers=32"


def workload_digest(name: str, size: str, seeds: int, target: str = TARGET) -> str:
    h = hashlib.sha256()
    ctx = TuneContext(workloads.get(name, size).func, target=target, space_generator="post-order-apply",
                      rand_state=3)
    designs = ctx.generate_design_space()
    for s in designs:
        h.update(tir.structural_hash(s.mod).encode())
        h.update(json.dumps(s.trace.as_json()).encode())
    spaces = [Trace(s.trace.simplified(remove_postproc=True).insts, {}) for s in designs]
    cache = ReplayCache(ctx.mod)
    mutators = list(Mutator.create("llvm"))
    for m in mutators:
        m._initialize_with_tune_context(ctx)
    rng = random.Random(11)
    for i in range(seeds):
        space, seed = spaces[i % len(spaces)], rng.getrandbits(40)
        try:
            plain = Schedule(ctx.mod, seed=seed)
            space.apply_to_schedule(plain, remove_postproc=True)
        except ScheduleError as e:
            h.update(str(e).encode())
            continue
        outs = [plain, cache.replay(space, seed)]
        for m in mutators:
            trace = m.apply(plain.trace, rng.getrandbits(30))
            if trace is not None:
                try:
                    outs.append(cache.replay(trace, 5))
                except ScheduleError as e:
                    h.update(str(e).encode())
        for sch in outs:
            _update(h, sch, ctx)
    return h.hexdigest()


def _update(h, sch, ctx) -> None:
    h.update(tir.structural_hash(sch.mod).encode())
    h.update(json.dumps(sch.trace.as_json()).encode())
    h.update(repr(sch._rng.state).encode())
    h.update(tir.script(sch.mod).encode())
    cand = candidate_from_schedule(sch.copy(), ctx.postprocs)
    if cand is None:
        h.update(b"rejected")
        return
    h.update(tir.structural_hash(cand.sch.mod).encode())
    h.update(json.dumps(cand.sch.trace.as_json()).encode())
    h.update(tir.script(cand.sch.mod).encode())
    h.update(tir.script(lower(cand.sch.mod["main"]).body).encode())
    features = PerStoreFeature().extract_func(cand.sch.mod)
    h.update(np.ascontiguousarray(features).tobytes())
    h.update(str(features.shape).encode())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--target", default=TARGET, help="the target the spaces are made for (default: %(default)s)")
    ap.add_argument("--workloads", default=None,
                    help="comma-separated NAME or NAME:SIZE (size small unless given; default: the whole set)")
    args = ap.parse_args()
    if args.workloads:
        cases = [tuple(w.split(":", 1)) if ":" in w else (w, "small") for w in args.workloads.split(",")]
    else:
        cases = [(n, "small") for n in workloads.names()] + [("GMM-1024", "standard"), ("C2D", "standard")]
    total = hashlib.sha256()
    for name, size in cases:
        digest = workload_digest(name, size, args.seeds, args.target)
        total.update(digest.encode())
        print(json.dumps({"workload": name, "size": size, "digest": digest[:16]}), flush=True)
    print(json.dumps({"workload": "all", "digest": total.hexdigest()[:16], "seeds": args.seeds, "target": args.target}))


if __name__ == "__main__":
    main()
