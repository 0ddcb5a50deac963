"""Measured candidates for the feature-extractor and cost-model tests: schedules with freshly
sampled tilings, wrapped as measure candidates, and their run times measured on this machine."""

import numpy as np

from .. import tir, workloads
from ..arg_info import ArgInfo
from ..codegen import build
from ..measure_candidate import MeasureCandidate
from ..runner import RunnerResult
from ..schedule import Schedule
from ..spaces.tiling import main_block, multi_level_tile
from ..tune_context import TuneContext


def tiled(func, seed: int, parallel: bool = False):
    """`func` under a multi-level tiling whose tile sizes are drawn with `seed`."""
    sch = Schedule(func, seed=seed)
    multi_level_tile(sch, main_block(sch), parallel=parallel)
    return sch


def candidates(func, seeds) -> list:
    """One measure candidate per seed, distinct programs only (repeated tilings dropped)."""
    out, seen = [], set()
    for seed in seeds:
        sch = tiled(func, seed)
        key = tir.structural_hash(sch.mod)
        if key not in seen:
            seen.add(key)
            out.append(MeasureCandidate(sch, ArgInfo.from_entry_func(sch.mod)))
    return out


def measure(wl, cands) -> list:
    """RunnerResults of building and timing every candidate on this machine (median of 3)."""
    arrays = wl.make_inputs(seed=0)
    results = []
    for cand in cands:
        mod = build(cand.sch.mod, "llvm")
        secs = mod.time(*arrays, number=3, repeat=3, min_repeat_ms=5)
        results.append(RunnerResult([float(np.median(secs))]))
    return results


def measured_set(n_seeds: int):
    """(context, candidates, results) of GMM (128^3) for the distinct tilings among `n_seeds`
    samples, measured here."""
    wl = workloads.get("GMM", "standard")
    cands = candidates(wl.func, range(n_seeds))
    return TuneContext(wl.func, target="llvm"), cands, measure(wl, cands)
