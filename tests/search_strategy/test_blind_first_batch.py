"""A first batch scored at random (XGB before its warm-up, nothing measured) is drawn from
random replays without genetic rounds; once records exist the population evolves as before."""

import raytune_ms as ms
from raytune_ms import tir
from raytune_ms.cost_model import XGBModel
from raytune_ms.database import MemoryDatabase
from raytune_ms.search_strategy import EvolutionarySearch
from raytune_ms.testing import run
from raytune_ms.tune_context import TuneContext


def _search():
    return EvolutionarySearch(population_size=24, init_min_unmeasured=8, genetic_num_iters=2)


def _context(wl, strategy, seed=5):
    return TuneContext(wl.func, target="llvm", space_generator="post-order-apply", search_strategy=strategy,
                       rand_state=seed)


def test_first_batch_skips_the_genetic_rounds_and_is_correct():
    wl = ms.workloads.get("C2D", "small")
    strategy = _search()
    ctx = _context(wl, strategy)
    ctx.pre_tuning(max_trials=8, num_trials_per_iter=8, database=MemoryDatabase(), cost_model=XGBModel())
    cands = ctx.generate_measure_candidates()
    state = strategy._run
    assert len(cands) == 8 and len({tir.structural_hash(c.sch.mod) for c in cands}) == 8
    assert state.num_mutated == 0 and state.num_replays < 24  # no population of 24, no mutation
    for cand in cands[::3]:
        assert wl.compare(run(cand.sch.mod["main"], *wl.make_inputs(seed=2)))[0], cand.sch.trace


def test_with_records_the_population_still_evolves(tmp_path):
    wl = ms.workloads.get("GMM", "small")
    runner = ms.runner.LocalRunner(evaluator_config=ms.runner.EvaluatorConfig(number=2, repeat=1, min_repeat_ms=5))
    db = ms.tune_tir(wl.func, "llvm", str(tmp_path), 8, num_trials_per_iter=8, builder="local", runner=runner,
                     strategy=_search(), seed=7)
    strategy = _search()
    ctx = _context(wl, strategy, seed=9)
    model = XGBModel()  # 8 records < the 100 of its warm-up: scores still at random
    ctx.pre_tuning(max_trials=8, num_trials_per_iter=8, database=db, cost_model=model)
    assert ctx.generate_measure_candidates()
    assert strategy._run.num_mutated > 0
