"""Post-optimization: the Space of a record's tile decisions (every point a valid program, the
start the record's own), the Droplet walk (reaches the optimum of a known cost, moves only on
a significant t-test, stops at a local optimum, never measures a point twice), and PostOpt on
a tuned small GMM (at least as fast as its start, every measured program correct against
numpy, records in the database, the statistical stop), also through tune_tir."""

import math

import numpy as np
import pytest

import raytune_ms as ms
from raytune_ms import tir
from raytune_ms.builder import LocalBuilder
from raytune_ms.database import MemoryDatabase
from raytune_ms.post_optimization import Droplet, PostOpt, Space
from raytune_ms.post_optimization.space import factorizations
from raytune_ms.runner import EvaluatorConfig, LocalRunner
from raytune_ms.target import Target
from raytune_ms.testing import run


def _tune(wl, work_dir, trials, **kw):
    return ms.tune_tir(wl.func, "llvm", str(work_dir), trials, num_trials_per_iter=trials,
                       builder=LocalBuilder(max_workers=2), database=kw.pop("database", MemoryDatabase()),
                       runner=LocalRunner(evaluator_config=EvaluatorConfig(number=2, repeat=1, min_repeat_ms=5)),
                       strategy="replay-trace", cost_model="random", seed=3, **kw)


@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    wl = ms.workloads.get("GMM", "small")
    work_dir = tmp_path_factory.mktemp("post_opt")
    db = _tune(wl, work_dir, 8)
    return wl, work_dir, db


def test_factorizations_are_every_perfect_tiling_within_the_innermost_limit():
    out = factorizations(12, 3, 4)
    assert all(math.prod(t) == 12 and t[-1] <= 4 for t in out)
    assert len(out) == len({tuple(t) for t in out}) == 15  # 18 ordered triples, 3 with innermost 6 or 12
    assert out == sorted(out)
    assert factorizations(8, 2, 0) == [[1, 8], [2, 4], [4, 2], [8, 1]]


def test_space_points_round_trip_and_the_start_is_the_record(tuned):
    wl, _, db = tuned
    record = db.query_tuning_record(wl.func, "llvm")
    space = Space(record, wl.func, Target("llvm"))
    assert space.dims and all(d > 1 for d in space.dims)
    for point in range(math.prod(space.dims)):
        assert space.knob2point(space.point2knob(point)) == point
    start = space.template()
    assert tir.structural_hash(start.sch.mod) == tir.structural_hash(record.as_measure_candidate().sch.mod)
    for key, pos in enumerate(space.start):
        assert space.get_value(key, pos) == space.trace.decisions[space.knobs[key][0]]
    assert Space.add_space([[1, 2]], [[1, 2], [2, 1]], limit=2) == [0, 1]


class _Grid:
    """A Space stand-in: knobs on a grid, no programs."""

    def __init__(self, dims, start):
        self.dims, self.start = dims, start

    def knob2point(self, knob):
        point = 0
        for v, d in zip(knob, self.dims):
            point = point * d + v
        return point


def test_droplet_descends_to_the_optimum_and_stops_there():
    target = [6, 1, 3]
    grid = _Grid([9, 5, 7], [0, 4, 6])
    droplet = Droplet(grid, batch=4)
    seen = []

    def measure(batch):
        seen.extend(point for point, _ in batch)
        costs = [1.0 + sum((a - b) ** 2 for a, b in zip(knob, target)) for _, knob in batch]
        return [[c * 0.999, c, c * 1.001] for c in costs]

    best = droplet.tune(measure, n_trial=200)
    assert droplet.best_choice[1] == target and np.mean(best) == pytest.approx(1.0)
    assert droplet.stop_reason.startswith("local optimum")
    assert len(seen) == len(set(seen)) == droplet.count < 200
    assert np.mean(droplet.start_costs) == pytest.approx(1.0 + 36 + 9 + 9)


def test_droplet_moves_only_on_a_significant_difference():
    grid = _Grid([3], [1])
    rng = np.random.default_rng(0)
    noisy = Droplet(grid, pvalue=0.05, batch=1)
    # the neighbour below is faster on average by far less than the noise: no move
    noisy.update(noisy.next_batch(10), [list(1.0 + 0.3 * rng.standard_normal(3)),
                                        [0.99, 1.5, 0.5], [1.2, 1.3, 1.1]])
    assert noisy.moves == 0 and noisy.stop_reason.startswith("local optimum")
    clear = Droplet(grid, pvalue=0.05, batch=1)
    clear.update(clear.next_batch(10), [[1.0, 1.01, 0.99], [0.5, 0.51, 0.49], [1.2, 1.3, 1.1]])
    assert clear.moves == 1 and clear.best_choice[1] == [2]
    assert np.mean(clear.best_choice[2]) == pytest.approx(0.5)


def test_post_opt_improves_or_keeps_the_start_correctly_and_records_everything(tuned):
    wl, work_dir, db = tuned
    before = len(db.get_all_tuning_records())
    results = PostOpt(str(work_dir), "llvm", trials=100, database=db, builder=LocalBuilder(max_workers=2)).run()
    assert len(results) == 1
    res = results[0]
    assert res.best_secs <= res.start_secs
    assert res.stop_reason.startswith("local optimum") and res.trials < 100  # the statistical stop fired
    records = db.get_all_tuning_records()
    assert len(records) - before == res.trials  # every measured point is a record
    for rec in records[before:]:
        assert rec.is_valid(), rec.error
        # post-optimization's runner: three run times per point, one for a point the runner cuts
        # short as far slower than the best it has measured
        assert len(rec.run_secs) == 3 or rec.mean_run_secs > 2 * res.best_secs
        arrays = wl.make_inputs(seed=4)
        out = run(rec.as_measure_candidate().sch.mod["main"], *arrays)
        assert wl.compare(out)[0]


def test_tune_tir_post_optimization_writes_to_the_database(tmp_path, caplog):
    wl = ms.workloads.get("GMM", "small")
    with caplog.at_level("INFO"):
        db = _tune(wl, tmp_path, 4, post_optimization=True)
    assert len(db.get_all_tuning_records()) > 4
    assert "post-optimization of 'main'" in (tmp_path / "logs" / "tune.log").read_text()
