"""A batch scored at random (XGB before its warm-up) is drawn from random replays without
genetic rounds, after the other targets' seeds; once the model is trained the population
evolves."""

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


def _tuned_db(tmp_path):
    wl = ms.workloads.get("GMM", "small")
    runner = ms.runner.LocalRunner(evaluator_config=ms.runner.EvaluatorConfig(number=2, repeat=1, min_repeat_ms=5))
    db = ms.tune_tir(wl.func, "llvm", str(tmp_path), 8, num_trials_per_iter=8, builder="local", runner=runner,
                     strategy=_search(), seed=7)
    return wl, db


def test_records_and_random_scores_still_skip_the_genetic_rounds_and_a_trained_model_evolves(tmp_path):
    wl, db = _tuned_db(tmp_path)
    measured = {tir.structural_hash(r.as_measure_candidate().sch.mod) for r in db.get_all_tuning_records()}
    for warmup, evolves in ((100, False), (0, True)):  # 8 records < 100: scores still at random
        strategy = _search()
        ctx = _context(wl, strategy, seed=9)
        ctx.pre_tuning(max_trials=8, num_trials_per_iter=8, database=db, cost_model=XGBModel(num_warmup_samples=warmup))
        cands = ctx.generate_measure_candidates()
        assert len(cands) == 8 and not measured & {tir.structural_hash(c.sch.mod) for c in cands}
        assert (strategy._run.num_mutated > 0) is evolves


def test_while_scores_are_random_the_other_targets_seeds_come_first(tmp_path):
    wl, db = _tuned_db(tmp_path)
    other = MemoryDatabase()
    workload = other.commit_workload(wl.func)
    for rec in db.get_all_tuning_records():
        other.commit_tuning_record(ms.database.TuningRecord(rec.trace, workload, rec.run_secs,
                                                            "llvm -mcpu=znver3 -num-cores=64 -vector-bytes=32",
                                                            rec.args_info))
    strategy = _search()
    ctx = _context(wl, strategy, seed=9)
    ctx.pre_tuning(max_trials=8, num_trials_per_iter=8, database=other, cost_model=XGBModel())
    seeds = [tir.structural_hash(m.cand.sch.mod) for m in strategy._run.seeds]
    cands = ctx.generate_measure_candidates()
    n_best = 8 - int(8 * strategy.eps_greedy)
    assert seeds and [tir.structural_hash(c.sch.mod) for c in cands][:min(n_best, len(seeds))] == seeds[:n_best]
    assert strategy._run.num_mutated == 0
