"""A tuning run (local builder and runner) trains the XGB model it is given on every result."""

import numpy as np

import raytune_ms as ms
from raytune_ms import spaces
from raytune_ms.builder import LocalBuilder
from raytune_ms.cost_model import XGBModel
from raytune_ms.runner import EvaluatorConfig, LocalRunner


def test_tune_tir_updates_the_xgb_model(tmp_path):
    wl = ms.workloads.get("GMM", "small")
    model = XGBModel(num_warmup_samples=0)
    db = ms.tune_tir(wl.func, "llvm", str(tmp_path), 8, num_trials_per_iter=4, builder=LocalBuilder(max_workers=2),
                     runner=LocalRunner(evaluator_config=EvaluatorConfig(number=2, repeat=1, min_repeat_ms=5)),
                     space=spaces.matmul_space, seed=3, cost_model=model, strategy="replay-trace")
    records = db.get_all_tuning_records()
    assert model.data_size == len(records) == 8 and model.booster is not None
    (group,) = model.data.groups.values()
    assert np.isclose(group.min_cost, min(np.median(r.run_secs) for r in records if r.is_valid()))
    path = str(tmp_path / "xgb.npz")
    model.save(path)
    again = XGBModel()
    again.load(path)
    assert again.data_size == 8
