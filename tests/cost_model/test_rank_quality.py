"""Prediction quality: trained on 3/4 of ~150 tilings of GMM measured here, each model ranks
the held-out quarter (Spearman rank correlation, printed)."""

import importlib.util

import pytest
import scipy.stats

from raytune_ms.cost_model import CostModel
from raytune_ms.testing.measured import measured_set


@pytest.mark.slow
def test_models_rank_held_out_measurements():
    ctx, cands, results = measured_set(160)
    cut = len(cands) * 3 // 4
    measured = [-r.run_secs[0] for r in results[cut:]]
    kinds = ["xgb"] + (["mlp"] if importlib.util.find_spec("torch") else [])
    for kind in kinds:
        model = CostModel.create(kind, num_warmup_samples=0)
        model.update(ctx, cands[:cut], results[:cut])
        rho = scipy.stats.spearmanr(model.predict(ctx, cands[cut:]), measured).correlation
        print(f"{kind}: held-out Spearman {rho:.3f} over {len(cands) - cut} of {len(cands)} candidates")
        assert rho > 0.5, kind
