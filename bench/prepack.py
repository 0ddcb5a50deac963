"""Benchmark: a linear layer's weight packed at run time against pre-packed once, ahead of time.

The task is what the torch front end makes of `nn.Linear(k, n)` on a [m, k] input (weight
[n, k], bias; both constants, so layout-free). Candidates whose schedule packs the weight
panel at run time (cache_read under the panel loop): random replays of the automatic design
space (the fastest few of them, one quick reading each), or with --tuned-trials N the best
records of an N-trial tuning run (replay-trace, random model; it measures the pre-packed
kernels). Each is postprocessed twice from the same decisions: without RewriteLayout (the pack
runs on every call) and with it (the pack moves into the layout-rewrite copy: the weight is
stored in panel order once, and the kernel has no copy stage). Both kernels and torch's linear
on the same inputs are timed interleaved in one process (best and median single call); every
kernel is checked against numpy.

Defaults: BERT-base's fc1 (128 x 768 -> 3072) and fc2 (128 x 3072 -> 768). Prints JSON lines,
the first with the CPU (lscpu) and whether it has AVX-512.
Usage: python bench/prepack.py [--shapes 128x768x3072,128x3072x768] [--replays 3] [--candidates 8]
       [--rounds 5] [--tuned-trials 0]
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import pathlib
import random
import statistics
import tempfile
import time
import warnings

import numpy as np

from raytune_ms.codegen import codegen_c
from raytune_ms.postproc import Postproc, RewriteLayout
from raytune_ms.schedule import Schedule, Trace
from raytune_ms.search_strategy.search_strategy import candidate_from_schedule
from raytune_ms.space_generator.post_order_apply import PostOrderApply
from raytune_ms.target import Target
from raytune_ms.tir import Block, collect
from raytune_ms.tir.layout_rewrite import PREPROC_KEY, split_layout_rewrite
from raytune_ms.tune_context import TuneContext


def layout_rewrite_bench():
    """bench/layout_rewrite.py as a module: its kernel builder, numpy check and interleaved timer."""
    spec = importlib.util.spec_from_file_location("layout_rewrite", pathlib.Path(__file__).resolve().parent
                                                  / "layout_rewrite.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def linear_task(m, k, n):
    """(the front end's PrimFunc of nn.Linear(k, n) on [m, k], the torch module, the input)."""
    import torch

    from raytune_ms import extract_tasks

    torch.manual_seed(0)
    layer = torch.nn.Linear(k, n).eval()
    x = torch.randn(m, k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (task,) = extract_tasks(layer, (x,), "llvm")
    return task.mod["main"], layer, x


def packs_at_run_time(sch, weight) -> bool:
    """Whether a block other than the layout-rewrite copy copies `weight` (a run-time pack)."""
    return any(b.name != "root" and any(r.buffer is weight for r in b.reads) and len(b.reads) == 1
               and not b.annotation(PREPROC_KEY)
               for b in collect(sch.mod["main"].body, Block))


def strided_loads(func, target) -> list:
    return [ln.strip() for ln in codegen_c(func, Target(target)).splitlines() if "element stride" in ln]


def _plain(decision):
    """A decision as JSON-friendly lists and ints."""
    return [_plain(d) for d in decision] if isinstance(decision, (list, tuple)) else int(decision)


def readings(kernels, layer, x, rounds, calls=5) -> list:
    """Single-call ms of each kernel and of torch's linear, interleaved: in each round every
    side makes `calls` calls. The best reading is what the machine gives uncontended; the median
    is what a call typically got here (on a shared machine a call that loses a core waits)."""
    import torch

    out = [[] for _ in range(len(kernels) + 1)]
    with torch.no_grad():
        for _ in range(rounds):
            for i, (mod, args) in enumerate(kernels):
                out[i] += [t * 1e3 for t in mod.time(*args, number=1, repeat=calls, min_repeat_ms=0)]
            for _ in range(calls):
                t0 = time.perf_counter()
                layer(x)
                out[-1].append((time.perf_counter() - t0) * 1e3)
    return out


def random_traces(func, ctx, seed):
    """Decided traces (no postprocessing) of random replays of the design space, endlessly."""
    spaces = ctx.generate_design_space()
    rng = random.Random(seed)
    for n in itertools.count(1):
        trace = Trace(spaces[n % len(spaces)].trace.simplified(remove_postproc=True).insts, {})
        sch = Schedule(func, seed=rng.getrandbits(30))
        trace.apply_to_schedule(sch, remove_postproc=True)
        yield sch.trace


def tuned_traces(func, target, trials, seed):
    """The traces of a short tuning run's records, best first (it measures pre-packed kernels)."""
    import raytune_ms

    with tempfile.TemporaryDirectory(prefix="prepack_") as work_dir:
        db = raytune_ms.tune_tir(func, target, work_dir, trials, num_trials_per_iter=min(trials, 16),
                                 builder="local", runner="local", database="memory", strategy="replay-trace",
                                 cost_model="random", seed=seed + 1, progress=False)
    return [r.trace for r in db.get_top_k(db.commit_workload(func), trials)]


def compare(shape, replays, candidates, rounds, seed, target, lr, tuned_trials=0):
    m, k, n = shape
    func, layer, x = linear_task(m, k, n)
    weight = func.params[1]
    arrays = [x.numpy().copy(), layer.weight.detach().numpy().copy(), layer.bias.detach().numpy().copy(),
              np.zeros((m, n), "float32")]
    want = arrays[0].astype(np.float64) @ arrays[1].T.astype(np.float64) + arrays[2]
    ctx = TuneContext(func, target=target, space_generator=PostOrderApply(mutator_probs={}), rand_state=seed + 1)
    without = [p for p in Postproc.create("llvm") if not isinstance(p, RewriteLayout)]
    source = iter(tuned_traces(func, target, tuned_trials, seed)) if tuned_trials else random_traces(func, ctx, seed)
    drawn, tries = [], 0
    for trace in source:
        if len(drawn) >= candidates or tries >= 40 * candidates:
            break
        tries += 1
        plain = Schedule(func)
        trace.apply_to_schedule(plain, remove_postproc=True)
        decided = plain.trace.copy()
        if candidate_from_schedule(plain, without) is not None and packs_at_run_time(plain, weight):
            drawn.append((lr.kernel(plain, arrays), decided))
    if not tuned_trials:  # the fastest few (one quick reading of the run-time-pack kernel each)
        drawn.sort(key=lambda c: lr.time_side_by_side([c[0][:2]], 1)[0])
    rows = []
    for k_plain, decided in drawn[:replays]:
        pre = Schedule(func)
        decided.apply_to_schedule(pre, remove_postproc=True)
        if candidate_from_schedule(pre, ctx.postprocs) is None:
            continue
        k_pre = lr.kernel(pre, arrays)
        for mod, args, _ in (k_plain, k_pre):
            lr.check(mod, args, want)
        plain_r, pre_r, torch_r = readings([k_plain[:2], k_pre[:2]], layer, x, rounds)
        ms_plain, ms_pre, ms_torch = min(plain_r), min(pre_r), min(torch_r)
        med = [statistics.median(r) for r in (plain_r, pre_r, torch_r)]
        row = {"bench": "prepack", "m": m, "k": k, "n": n, "source": "tuned" if tuned_trials else "random",
               "replay": len(rows) + 1, "prepacked": k_pre[2],
               "ms_run_time_pack": round(ms_plain, 4), "ms_prepacked": round(ms_pre, 4),
               "ms_torch": round(ms_torch, 4), "speed_prepacked_vs_run_time": round(ms_plain / ms_pre, 3),
               "prepacked_vs_torch": round(ms_torch / ms_pre, 3),
               "median_ms": dict(zip(("run_time_pack", "prepacked", "torch"), (round(v, 4) for v in med))),
               "strided_loads": len(strided_loads(split_layout_rewrite(pre.mod["main"])[0], target)),
               "decisions": [_plain(d) for d in decided.decisions.values()]}
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(json.dumps({"bench": "prepack", "m": m, "k": k, "n": n, "compared": len(rows), "packing_replays": len(drawn),
                      "drawn": tries}), flush=True)
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shapes", default="128x768x3072,128x3072x768", help="m x k x n, comma separated")
    ap.add_argument("--replays", type=int, default=3)
    ap.add_argument("--candidates", type=int, default=8, help="packing replays drawn; the fastest compared")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tuned-trials", type=int, default=0,
                    help="compare the best records of a short tuning run (replay-trace) instead of random replays")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    lr = layout_rewrite_bench()
    lr.TARGET = target = f"llvm -num-cores={args.threads}"
    print(json.dumps({"bench": "prepack", **lr.sibling("suite_vs_torch").cpu_info(), "threads": args.threads}),
          flush=True)
    for text in args.shapes.split(","):
        compare(tuple(int(v) for v in text.split("x")), args.replays, max(args.candidates, args.replays), args.rounds,
                args.seed, target, lr, args.tuned_trials)


if __name__ == "__main__":
    main()
