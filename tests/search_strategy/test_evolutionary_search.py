"""EvolutionarySearch on the automatic space: every candidate is a program not measured before
(by structural hash), mutation feeds the population, replays are correct against numpy, a run
over an existing database trains its model on it, records of another target seed the
population, and tune_tir's defaults (evolutionary + xgb) tune correctly."""

import logging

import pytest

import raytune_ms as ms
from raytune_ms import tir
from raytune_ms.cost_model import RandomModel, XGBModel
from raytune_ms.database import MemoryDatabase, TuningRecord
from raytune_ms.runner import EvaluatorConfig, LocalRunner
from raytune_ms.search_strategy import EvolutionarySearch, SearchStrategy
from raytune_ms.testing import run
from raytune_ms.tune_context import TuneContext

# another machine's target: spelled out in full so that it never equals the host's ("llvm -mcpu=znver3"
# alone is the host's target on a 2-core Zen 3)
OTHER_TARGET = "llvm -mcpu=znver3 -num-cores=64 -vector-bytes=32"


def small_search(**kw):
    return EvolutionarySearch(**{"population_size": 24, "init_min_unmeasured": 8, "genetic_num_iters": 2, **kw})


def context(wl, strategy, logger=None, seed=5, target="llvm"):
    return TuneContext(wl.func, target=target, space_generator="post-order-apply", search_strategy=strategy,
                       rand_state=seed, logger=logger)


def drain(ctx):
    out = []
    while (batch := ctx.generate_measure_candidates()) is not None:
        out.extend(batch)
    return out


def fast_runner():
    return LocalRunner(evaluator_config=EvaluatorConfig(number=2, repeat=1, min_repeat_ms=5))


@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    """GMM small tuned for 8 trials (local builder and runner, Parquet database)."""
    wl = ms.workloads.get("GMM", "small")
    work_dir = str(tmp_path_factory.mktemp("evo"))
    db = ms.tune_tir(wl.func, "llvm", work_dir, 8, num_trials_per_iter=4, builder="local", runner=fast_runner(),
                     strategy=small_search(), seed=7)
    return wl, db


def test_it_is_the_default_kind():
    assert isinstance(SearchStrategy.create(), EvolutionarySearch)
    assert isinstance(SearchStrategy.create("evolutionary", population_size=8), EvolutionarySearch)
    with pytest.raises(ValueError, match="population_size"):
        EvolutionarySearch(population_size=0)


def test_it_needs_a_cost_model():
    ctx = context(ms.workloads.get("GMM", "small"), small_search())
    with pytest.raises(ValueError, match="cost model"):
        ctx.pre_tuning(max_trials=8, num_trials_per_iter=4, database=MemoryDatabase())


@pytest.mark.parametrize("name", ["GMM", "NRM"])
def test_candidates_are_new_mutated_and_correct(name):
    wl = ms.workloads.get(name, "small")
    strategy = small_search()
    ctx = context(wl, strategy)
    ctx.pre_tuning(max_trials=24, num_trials_per_iter=8, database=MemoryDatabase(), cost_model=RandomModel(seed=1))
    cands = drain(ctx)
    hashes = [tir.structural_hash(c.sch.mod) for c in cands]
    assert len(cands) == 24 and len(set(hashes)) == 24
    state = strategy._run
    assert state.num_mutated > 0 and state.num_handed_out_mutated > 0
    for cand in cands[:: max(1, len(cands) // 3)]:
        arrays = run(cand.sch.mod["main"], *wl.make_inputs(seed=2))
        assert wl.compare(arrays)[0], cand.sch.trace


def test_a_tiny_space_is_exhausted_with_a_reason():
    wl = ms.workloads.get("GEMV", "small")

    def two_programs(sch):
        loop = sch.get_loops(sch.get_block("y"))[1]
        sch.split(loop, [None, sch.sample_categorical([4, 8], [1.0, 1.0])])

    strategy = small_search(max_fail_count=2)
    ctx = TuneContext(wl.func, target="llvm", space_generator=two_programs, search_strategy=strategy, rand_state=3)
    ctx.pre_tuning(max_trials=30, num_trials_per_iter=8, database=MemoryDatabase(), cost_model=RandomModel(seed=1))
    cands = drain(ctx)
    assert len({tir.structural_hash(c.sch.mod) for c in cands}) == len(cands) == 2
    assert "exhausted" in strategy.exhausted_reason and "stopping at 2 of 30" in strategy.exhausted_reason
    assert ctx.generate_measure_candidates() is None


def test_resume_trains_the_model_and_skips_what_was_measured(tuned, caplog):
    wl, db = tuned
    records = db.get_all_tuning_records()
    assert len(records) == 8
    measured = {tir.structural_hash(r.as_measure_candidate().sch.mod) for r in records}
    model = XGBModel(num_warmup_samples=0)
    strategy = small_search()
    ctx = context(wl, strategy, logger=logging.getLogger("test.evo.resume"), seed=9)
    with caplog.at_level(logging.INFO, logger="test.evo.resume"):
        ctx.pre_tuning(max_trials=8, num_trials_per_iter=8, database=db, cost_model=model)
    assert "cost model trained on 8 records from the database" in caplog.text
    assert model.data_size == 8 and model.trained and strategy._run.num_trained_records == 8
    assert len(strategy._measured_members(strategy._run)) > 0  # the database's best seed the population
    cands = ctx.generate_measure_candidates()
    assert cands and not measured & {tir.structural_hash(c.sch.mod) for c in cands}


def test_resume_trains_on_a_remeasurement_not_on_the_reading_it_retimed(tuned, caplog):
    from raytune_ms.database import TuningRecord
    from raytune_ms.database.remeasurement import new_remeasure_id

    wl, stored = tuned
    db = MemoryDatabase()
    workload = db.commit_workload(wl.func)
    for rec in stored.get_all_tuning_records():
        db.commit_tuning_record(rec.with_workload(workload))
    best = db.get_top_k(workload, 1)[0]
    db.commit_tuning_record(TuningRecord(best.trace_text(), workload, [best.mean_run_secs * 3], best.target_key,
                                         best.args_info_json(), time=best.time + 1, record_id=new_remeasure_id()))
    model = XGBModel(num_warmup_samples=0)
    ctx = context(wl, small_search(), logger=logging.getLogger("test.evo.remeasured"), seed=9)
    with caplog.at_level(logging.INFO, logger="test.evo.remeasured"):
        ctx.pre_tuning(max_trials=8, num_trials_per_iter=8, database=db, cost_model=model)
    assert "cost model trained on 8 records from the database" in caplog.text and model.data_size == 8


class _CountingXGB(XGBModel):
    """The real XGBModel, counting the times its trained booster scores candidates."""

    scored = 0

    def predict_features(self, features):
        self.scored += len(features)
        return super().predict_features(features)


@pytest.mark.parametrize("warmup", [0, 100])
def test_the_first_resumed_batch_is_chosen_by_the_trained_model(tuned, caplog, warmup):
    """After resume the model scores the first batch's population, unless it holds fewer than
    num_warmup_samples records (the reference's 100: then it scores at random, and says so)."""
    wl, db = tuned
    model = _CountingXGB(num_warmup_samples=warmup)
    ctx = context(wl, small_search(), logger=logging.getLogger(f"test.evo.first{warmup}"), seed=9)
    with caplog.at_level(logging.INFO, logger=f"test.evo.first{warmup}"):
        ctx.pre_tuning(max_trials=8, num_trials_per_iter=8, database=db, cost_model=model)
    assert model.trained and model.scored == 0
    assert ctx.generate_measure_candidates()
    if warmup == 0:
        assert model.scored > 0 and "scores at random" not in caplog.text
    else:
        assert model.scored == 0
        assert "the model scores at random until it holds 100 samples (8 now)" in caplog.text


def test_records_of_another_target_seed_the_population(tuned, caplog):
    wl, db = tuned
    other = MemoryDatabase()
    workload = other.commit_workload(wl.func)
    for rec in db.get_all_tuning_records():
        other.commit_tuning_record(TuningRecord(rec.trace, workload, rec.run_secs, OTHER_TARGET, rec.args_info))
    model = XGBModel(num_warmup_samples=0)
    strategy = small_search()
    ctx = context(wl, strategy, logger=logging.getLogger("test.evo.cross"), seed=11)
    with caplog.at_level(logging.INFO, logger="test.evo.cross"):
        ctx.pre_tuning(max_trials=8, num_trials_per_iter=8, database=other, cost_model=model)
    state = strategy._run
    assert state.num_trained_records == 0 and model.data_size == 0  # other machines' times do not train
    valid = sum(r.is_valid() for r in other.get_all_tuning_records())
    assert 0 < len(state.seeds) <= valid and "records of other targets seed the population" in caplog.text
    assert strategy._measured_members(strategy._run)[: len(state.seeds)] == state.seeds
    cands = ctx.generate_measure_candidates()  # not measured on this target: they may be handed out
    assert len(cands) == 8


@pytest.mark.slow
def test_tune_tir_defaults_tune_gmm_small(tmp_path):
    wl = ms.workloads.get("GMM", "small")
    db = ms.tune_tir(wl.func, "llvm", str(tmp_path), 6, num_trials_per_iter=3, builder="local", runner="local",
                     database="memory", seed=4)
    records = db.get_all_tuning_records()
    assert len(records) == 6 and all(r.is_valid() for r in records)
    best = db.query_tuning_record(wl.func, "llvm")
    arrays = run(best.as_measure_candidate().sch.mod["main"], *wl.make_inputs(seed=3))
    assert wl.compare(arrays)[0]


def test_a_mutation_met_again_is_not_postprocessed_again(monkeypatch):
    """The run keeps its mutated traces' members: a mutation met again in a later batch reuses
    its member (no postprocessing, no hash), and the batches are those of a search that
    postprocesses every mutation afresh."""
    from raytune_ms.search_strategy import slot_worker

    def batches():
        strategy = small_search()
        ctx = context(ms.workloads.get("GMM", "small"), strategy)
        ctx.pre_tuning(max_trials=32, num_trials_per_iter=8, database=MemoryDatabase(),
                       cost_model=RandomModel(seed=1))
        return [tir.structural_hash(c.sch.mod) for c in drain(ctx)], strategy._run.num_replays

    kept, replays_kept = batches()
    monkeypatch.setattr(slot_worker, "MUTATIONS_KEPT", 0)
    fresh, replays_fresh = batches()
    assert kept == fresh and len(kept) == 32
    assert replays_kept < replays_fresh



def test_the_records_of_what_it_handed_out_join_the_population_without_a_replay(monkeypatch):
    """The database's best seed each population; a record of a candidate this run handed out is
    that candidate's member (no replay from its JSON). Either way every program handed out is
    new. (The batches differ from a search that replays every record: a mutated member keeps
    the key of its mutation, a replayed record gets its full trace's.)"""
    def batches(keep):
        strategy = small_search()
        ctx = context(ms.workloads.get("GMM", "small"), strategy)
        db = MemoryDatabase()
        ctx.pre_tuning(max_trials=24, num_trials_per_iter=8, database=db, cost_model=RandomModel(seed=1))
        workload, replayed, out = db.commit_workload(ctx.mod), [], []
        real = EvolutionarySearch._replay
        monkeypatch.setattr(EvolutionarySearch, "_replay", lambda self, trace, state: replayed.append(trace)
                            or real(self, trace, state))
        for _ in range(3):
            if not keep:
                strategy._run.db_members.clear()
            batch = ctx.generate_measure_candidates()
            out += [tir.structural_hash(c.sch.mod) for c in batch]
            for i, cand in enumerate(batch):
                db.commit_tuning_record(TuningRecord(cand.sch.trace, workload, [1e-3 * (i + 1)], ctx.target,
                                                     cand.args_info))
        return out, len(replayed)

    kept, replays_kept = batches(True)
    fresh, replays_fresh = batches(False)
    assert len(set(kept)) == len(set(fresh)) == 24
    assert replays_kept == 0 and replays_fresh == 2 * int(24 * 0.2)  # (the 4 best records seed batches 2 and 3)


def test_only_members_that_may_enter_the_best_are_hashed(monkeypatch):
    """A member scored below the heap's least is never hashed: fewer hashes than programs
    made, and still every handed-out program is new."""
    real, calls = tir.structural_hash, []

    def counting(mod):
        calls.append(mod)
        return real(mod)

    monkeypatch.setattr(tir, "structural_hash", counting)
    strategy = small_search(population_size=48)
    ctx = context(ms.workloads.get("GMM", "small"), strategy)
    ctx.pre_tuning(max_trials=8, num_trials_per_iter=8, database=MemoryDatabase(), cost_model=RandomModel(seed=1))
    cands = drain(ctx)
    assert len({real(c.sch.mod) for c in cands}) == len(cands) == 8
    assert 0 < len(calls) < strategy._run.num_replays


@pytest.mark.parametrize("seed", range(6))
def test_a_random_sample_also_in_the_heap_does_not_shorten_the_batch(seed):
    """The eps-greedy slots draw from the random samples, which are part of the population and
    so can be in the heap too: a sample picked already is passed over, not a slot lost."""
    import random
    from types import SimpleNamespace

    class Cand:  # (what _pick reads of a candidate: its trace's text)
        def __init__(self, i):
            self.sch = SimpleNamespace(trace=SimpleNamespace(compact_json=lambda: f"t{i}"))

    members = [SimpleNamespace(shash=f"h{i}", mutated=False, cand=Cand(i)) for i in range(4)]
    state = SimpleNamespace(rng=random.Random(seed), measured=set(), num_handed_out_mutated=0, db_members={})
    out = EvolutionarySearch(eps_greedy=0.34)._pick(state, members[:3], [members[0], members[3]], 3)
    assert len(out) == 3 and len(set(out)) == 3
