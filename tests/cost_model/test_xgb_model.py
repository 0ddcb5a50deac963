"""XGBModel on candidates measured for real: warm-up, adaptive retraining, the pack-sum
objective, identical predictions after save/load (a file with no pickles)."""

import zipfile

import numpy as np
import pytest
import scipy.stats

from raytune_ms.cost_model import CostModel, RandomModel
from raytune_ms.cost_model.training_data import FAILED_COST, Group, cost_of
from raytune_ms.cost_model.xgb_model import XGBConfig, XGBModel, _PackSum
from raytune_ms.runner import RunnerResult


def spearman(pred, results):
    return scipy.stats.spearmanr(pred, [-r.run_secs[0] for r in results]).correlation


def test_create_kinds_and_defaults():
    model = CostModel.create("xgb")
    assert isinstance(model, XGBModel)
    assert model.config == XGBConfig(max_depth=10, gamma=0.001, min_child_weight=0, eta=0.2, seed=43)
    assert (model.num_warmup_samples, model.early_stopping_rounds, model.verbose_eval, model.average_peak_n) == (
        100, 50, 25, 32)
    assert CostModel.create(model) is model
    assert isinstance(CostModel.create("random"), RandomModel)
    with pytest.raises(ValueError, match="num_warmup_samples"):
        XGBModel(num_warmup_samples=-1)
    with pytest.raises(TypeError, match="FeatureExtractor"):
        XGBModel(extractor=3)


def test_costs_and_labels():
    assert cost_of(RunnerResult([3.0, 1.0, 2.0])) == 2.0  # the median
    assert cost_of(RunnerResult(None, "boom")) == FAILED_COST
    group = Group("g", [np.zeros((1, 2))] * 3, [2.0, 1.0, FAILED_COST])
    assert group.labels().tolist() == [0.5, 1.0, 1e-10]


def test_pack_sum_objective_by_hand():
    # two candidates: rows 0, 1 belong to the first (label 1), row 2 to the second (label 0.5)
    ps = _PackSum(np.array([0, 0, 1]), np.array([1.0, 0.5]), 2, peak_n=2)
    grad, hess = ps.objective(np.array([0.25, 0.5, 1.0]), None)
    assert grad.tolist() == [(0.75 - 1) * 1, (0.75 - 1) * 1, (1.0 - 0.5) * 0.5]
    assert hess.tolist() == [1.0, 1.0, 0.5]
    metrics = dict(ps.metric(np.array([0.25, 0.5, 1.0]), None))
    assert metrics["p-rmse"] == pytest.approx(np.sqrt((2 * 0.25**2 + 0.5**2) / 3))
    assert metrics["a-peak@2"] == pytest.approx((0.5 + 1.0) / 2)  # the worse one is ranked first


def test_warmup_then_trained_predictions(measured):
    ctx, cands, results = measured
    model = XGBModel(num_warmup_samples=100)
    model.update(ctx, cands, results)
    assert model.booster is not None and model.data_size == len(cands)
    warm = model.predict(ctx, cands)
    assert ((warm >= 0) & (warm < 1)).all()
    assert not np.allclose(warm, model.predict_features(model.extractor.extract_from(ctx, cands)))
    model.num_warmup_samples = len(cands)
    pred = model.predict(ctx, cands)
    assert spearman(pred, results) > 0.5  # it ranks the data it was trained on


def test_adaptive_training(measured):
    ctx, cands, results = measured
    model = XGBModel(num_warmup_samples=0)
    model.update(ctx, cands[:10], results[:10])
    first = model.booster
    model.update(ctx, cands[10:11], results[10:11])  # +10%: no retraining
    assert model.booster is first and model.last_train_size == 10
    model.update(ctx, cands[11:13], results[11:13])  # +30% since the last training
    assert model.booster is not first and model.last_train_size == 13
    eager = XGBModel(num_warmup_samples=0, adaptive_training=False)
    eager.update(ctx, cands[:10], results[:10])
    before = eager.booster
    eager.update(ctx, cands[10:11], results[10:11])
    assert eager.booster is not before


def test_save_load_identical_predictions(measured, tmp_path):
    ctx, cands, results = measured
    model = XGBModel(num_warmup_samples=0)
    failed = [RunnerResult(None, "build failed")]
    model.update(ctx, cands[:-4] + cands[-1:], results[:-4] + failed)
    path = str(tmp_path / "model.npz")
    model.save(path)
    with zipfile.ZipFile(path) as z:  # plain arrays: every entry is a .npy of a non-object dtype
        assert all(name.endswith(".npy") for name in z.namelist())
    with np.load(path, allow_pickle=False) as z:
        assert "booster.ubj" in z.files and z["booster.ubj"].dtype == np.uint8
    loaded = XGBModel()
    loaded.load(path)
    assert np.array_equal(loaded.predict(ctx, cands), model.predict(ctx, cands))
    assert (loaded.data_size, loaded.last_train_size) == (model.data_size, model.last_train_size)
    assert loaded.data.groups.keys() == model.data.groups.keys()
    group, again = next(iter(model.data.groups.values())), next(iter(loaded.data.groups.values()))
    assert np.array_equal(group.costs, again.costs) and group.costs[-1] == FAILED_COST
    assert all(np.array_equal(a, b) for a, b in zip(group.features, again.features))
    # before warm-up the random state round-trips too
    fresh = XGBModel()
    fresh.save(path)
    other = XGBModel(config=XGBConfig(seed=1))
    other.load(path)
    assert np.array_equal(other.predict(ctx, cands), fresh.predict(ctx, cands))


def test_update_needs_the_task_context(measured):
    _, cands, results = measured
    with pytest.raises(ValueError, match="XGBModel.update needs the TuneContext"):
        XGBModel().update(None, cands[:1], results[:1])
    with pytest.raises(ValueError, match="1 candidates but 2 results"):
        XGBModel().update(None, cands[:1], results[:2])


def test_load_rejects_other_files(tmp_path):
    path = str(tmp_path / "other.npz")
    np.savez(path, x=np.zeros(3))
    with pytest.raises(ValueError, match="not an XGBModel file"):
        XGBModel().load(path)
