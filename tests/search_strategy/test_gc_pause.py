"""The search pauses the cyclic collector and freezes what a batch leaves alive: that is only
sound if the search itself makes no reference cycles (they would stay frozen until the run
ends), so a whole evolutionary batch is checked for the cycles it leaves behind; and the pause
keeps the collector's state across nested and already-disabled uses."""

import contextlib
import gc
import random

import raytune_ms as ms
import raytune_ms.search_strategy.evolutionary_search as evolutionary_search
from raytune_ms.cost_model import XGBModel
from raytune_ms.database import MemoryDatabase
from raytune_ms.runner import RunnerResult
from raytune_ms.search_strategy import EvolutionarySearch
from raytune_ms.search_strategy.gc_pause import gc_paused, gc_thaw
from raytune_ms.tune_context import TuneContext


def test_a_batch_leaves_no_reference_cycles_of_the_project(monkeypatch):
    wl = ms.workloads.get("GMM-1024", "small")
    strategy = EvolutionarySearch(population_size=32, init_min_unmeasured=8, genetic_num_iters=2)
    ctx = TuneContext(wl.func, target="llvm", space_generator="post-order-apply", search_strategy=strategy,
                      rand_state=3)
    model = XGBModel(num_warmup_samples=0)
    ctx.pre_tuning(max_trials=64, num_trials_per_iter=16, database=MemoryDatabase(), cost_model=model)
    warm = strategy._random_members(strategy._run, 8)
    rng = random.Random(0)
    model.update(ctx, [m.cand for m in warm], [RunnerResult([rng.uniform(1e-3, 1e-2)]) for _ in warm])
    monkeypatch.setattr(evolutionary_search, "gc_paused", contextlib.nullcontext)  # (no freezing here)
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        batch = ctx.generate_measure_candidates()
        gc.collect()
        ours = [o for o in gc.garbage if (getattr(type(o), "__module__", "") or "").startswith("raytune_ms")
                or (callable(o) and (getattr(o, "__module__", "") or "").startswith("raytune_ms"))]
        names = sorted({getattr(o, "__qualname__", type(o).__qualname__) for o in ours})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
        ctx.post_tuning()
    assert batch, "the batch is empty"
    assert not ours, f"the search left {len(ours)} objects of raytune_ms in reference cycles: {names[:10]}"


def test_the_outermost_pause_freezes_what_survived_and_thaw_hands_it_back():
    gc_thaw()
    with gc_paused():
        with gc_paused():
            kept = [[i] for i in range(1000)]
        assert gc.get_freeze_count() == 0  # (an inner pause leaves the freezing to the outer one)
    assert gc.isenabled()
    assert gc.get_freeze_count() >= len(kept)
    gc_thaw()
    assert gc.get_freeze_count() == 0


def test_gc_paused_restores_the_collector_state():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
        gc_thaw()  # (what the pauses froze goes back to the collector)
