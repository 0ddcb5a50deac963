"""Benchmark: the same matmul schedules with and without RewriteLayout, timed side by side.

With RewriteLayout the weight B is stored, once and ahead of time, in the order the schedule's
loops read it, and the kernel is built without the copy stage (what the runner measures and
what compile_model runs). Two comparisons, each interleaved in one process:

- "handwritten": bench/gmm_handwritten.py's register-blocked kernel three ways: packing B
  panels at run time (cache_read + compute_at, the hand-written space's best), reading B
  unpacked, and unpacked + RewriteLayout (B pre-laid out in panel order).
- "space": random replays of the automatic design space (PostOrderApply, AVX-512/AVX2 rules
  from the host target) postprocessed twice from the same decisions, without and with
  RewriteLayout; one line per replay the postprocessor rewrote, speed = ms_without / ms_with.

Prints JSON lines, the first with the CPU (lscpu) and whether it has AVX-512.
Usage: python bench/layout_rewrite.py [--n 1024] [--replays 8] [--rounds 5]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import pathlib
import random

import numpy as np

from raytune_ms import te
from raytune_ms.codegen import build
from raytune_ms.postproc import Postproc, RewriteLayout
from raytune_ms.schedule import Schedule, Trace
from raytune_ms.search_strategy.search_strategy import candidate_from_schedule
from raytune_ms.space_generator.post_order_apply import PostOrderApply
from raytune_ms.tir.layout_rewrite import LAYOUT_FREE_ATTR, split_layout_rewrite
from raytune_ms.tune_context import TuneContext

TARGET = "llvm -num-cores=2"  # --threads changes it


def sibling(name):
    """Another script of bench/ as a module (they are not a package)."""
    spec = importlib.util.spec_from_file_location(name, pathlib.Path(__file__).resolve().parent / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def matmul(n):
    A = te.placeholder((n, n), name="A")
    B = te.placeholder((n, n), name="B")
    k = te.reduce_axis(n, "k")
    C = te.compute((n, n), lambda i, j: te.sum(A[i, k] * B[k, j], axis=k), name="C")
    return te.create_prim_func([A, B, C]).with_attr(LAYOUT_FREE_ATTR, (1,))


def kernel(sch, arrays):
    """(built module, its arguments): the program without its copy stage, B converted."""
    func, maps = split_layout_rewrite(sch.mod["main"])
    args = [maps[i].apply_to_array(a) if i in maps else a.copy() for i, a in enumerate(arrays)]
    return build(func, TARGET), args, bool(maps)


def check(mod, args, want):
    out = [a.copy() for a in args]
    mod(*out)
    np.testing.assert_allclose(out[-1], want, rtol=1e-3, atol=1e-3)


def time_side_by_side(kernels, rounds) -> list:
    """Best ms of each kernel over `rounds`, the kernels interleaved within each round."""
    best = [float("inf")] * len(kernels)
    for _ in range(rounds):
        for i, (mod, args) in enumerate(kernels):
            best[i] = min(best[i], min(mod.time(*args, number=1, repeat=5, min_repeat_ms=0)) * 1e3)
    return best


def handwritten(func, arrays, want, rounds):
    hand = sibling("gmm_handwritten")
    variants = {}
    for name, pack in (("packed at run time", True), ("unpacked", False), ("unpacked + RewriteLayout", False)):
        sch = hand.schedule_gmm(func, mr=8, nr=32, pack_b=pack)
        if "RewriteLayout" in name:
            sch.enter_postproc()
            RewriteLayout().apply(sch)
        mod, args, rewritten = kernel(sch, arrays)
        check(mod, args, want)
        variants[name] = (mod, args, rewritten)
    ms = time_side_by_side([(m, a) for m, a, _ in variants.values()], rounds)
    base = ms[0]
    for (name, (_, _, rewritten)), t in zip(variants.items(), ms):
        print(json.dumps({"bench": "layout_rewrite", "part": "handwritten", "variant": name, "ms": round(t, 4),
                          "speed_vs_packed": round(base / t, 3), "rewritten": rewritten}), flush=True)


def space(func, arrays, want, replays, rounds, seed):
    ctx = TuneContext(func, target=TARGET, space_generator=PostOrderApply(mutator_probs={}),
                      rand_state=seed + 1)
    spaces = ctx.generate_design_space()
    without = [p for p in Postproc.create("llvm") if not isinstance(p, RewriteLayout)]
    rng = random.Random(seed)
    done = tries = 0
    while done < replays and tries < 20 * replays:
        tries += 1
        trace = Trace(spaces[tries % len(spaces)].trace.simplified(remove_postproc=True).insts, {})
        s = rng.getrandbits(30)
        plain = Schedule(func, seed=s)
        trace.apply_to_schedule(plain, remove_postproc=True)
        decided = plain.trace.copy()
        if candidate_from_schedule(plain, without) is None:
            continue
        laid = Schedule(func)
        decided.apply_to_schedule(laid, remove_postproc=True)
        if candidate_from_schedule(laid, ctx.postprocs) is None:
            continue
        k_plain, k_laid = kernel(plain, arrays), kernel(laid, arrays)
        if not k_laid[2]:
            continue  # RewriteLayout left this one unchanged: nothing to compare
        for mod, args, _ in (k_plain, k_laid):
            check(mod, args, want)
        ms_plain, ms_laid = time_side_by_side([k_plain[:2], k_laid[:2]], rounds)
        done += 1
        print(json.dumps({"bench": "layout_rewrite", "part": "space", "replay": done, "ms_without": round(ms_plain, 4),
                          "ms_with": round(ms_laid, 4), "speed": round(ms_plain / ms_laid, 3)}), flush=True)
    return done, tries


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1024)
    ap.add_argument("--replays", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--skip-handwritten", action="store_true")
    args = ap.parse_args(argv)
    global TARGET
    TARGET = f"llvm -num-cores={args.threads}"
    cpu = sibling("suite_vs_torch").cpu_info()
    print(json.dumps({"bench": "layout_rewrite", **cpu, "n": args.n, "threads": args.threads}), flush=True)
    func = matmul(args.n)
    rng = np.random.default_rng(0)
    arrays = [rng.uniform(-1, 1, p.shape).astype("float32") for p in func.params]
    want = arrays[0].astype(np.float64) @ arrays[1].astype(np.float64)
    if not args.skip_handwritten:
        handwritten(func, arrays, want, args.rounds)
    done, tries = space(func, arrays, want, args.replays, args.rounds, args.seed)
    print(json.dumps({"bench": "layout_rewrite", "part": "space", "compared": done, "drawn": tries}), flush=True)


if __name__ == "__main__":
    main()
