"""MLPModel (torch extra) on candidates measured for real: warm-up, ranking, identical
predictions after save/load (read with weights_only), the LambdaRank loss, and the error
naming the extra when torch is missing."""

import subprocess
import sys

import numpy as np
import pytest
import scipy.stats

torch = pytest.importorskip("torch")

from raytune_ms.cost_model import CostModel  # noqa: E402
from raytune_ms.cost_model.mlp_model import MLPModel, SegmentSumMLP, lambda_rank_loss  # noqa: E402
from raytune_ms.runner import RunnerResult  # noqa: E402


def spearman(pred, results):
    return scipy.stats.spearmanr(pred, [-r.run_secs[0] for r in results]).correlation


def test_create_and_defaults():
    model = CostModel.create("mlp")
    assert isinstance(model, MLPModel)
    assert (model.hidden, model.batch_size, model.learning_rate, model.weight_decay) == (256, 128, 7e-4, 1e-6)
    with pytest.raises(ValueError, match="batch_size"):
        MLPModel(batch_size=0)


def test_segment_sum_and_lambda_rank_loss():
    torch.manual_seed(0)
    net = SegmentSumMLP(4, hidden=8)
    rows = torch.randn(5, 4)
    segment = torch.tensor([0, 0, 1, 1, 1])
    out = net(rows, segment, 2)
    per_row = net(rows, torch.arange(5), 5)
    assert torch.allclose(out, torch.stack([per_row[:2].sum(), per_row[2:].sum()]), atol=1e-6)
    labels = torch.tensor([1.0, 0.5, 0.1])
    right = lambda_rank_loss(torch.tensor([3.0, 2.0, 1.0]), labels)
    wrong = lambda_rank_loss(torch.tensor([1.0, 2.0, 3.0]), labels)
    assert 0 < right < wrong
    assert lambda_rank_loss(torch.tensor([1.0]), torch.tensor([1.0])) == 0


def test_learns_to_rank_and_round_trips(measured, tmp_path):
    ctx, cands, results = measured
    model = MLPModel(num_warmup_samples=len(cands) + 1)
    model.update(ctx, cands, results)
    warm = model.predict(ctx, cands)
    assert ((warm >= 0) & (warm < 1)).all()  # still warming up: random
    model.num_warmup_samples = len(cands)
    pred = model.predict(ctx, cands)
    assert spearman(pred, results) > 0.3
    path = str(tmp_path / "mlp.pt")
    model.save(path)
    blob = torch.load(path, weights_only=True)  # loadable without unpickling code
    assert set(blob) == {"config", "keys", "state_dict", "data"}
    loaded = MLPModel()
    loaded.load(path)
    assert np.array_equal(loaded.predict(ctx, cands), pred)
    assert (loaded.data_size, loaded.num_features) == (model.data_size, 164)
    again = MLPModel(num_warmup_samples=0)
    again.update(ctx, cands, results)
    assert np.array_equal(again.predict(ctx, cands), pred)  # seeded: the same network


def test_failed_candidates_are_learned_as_worst(measured):
    ctx, cands, results = measured
    model = MLPModel(num_warmup_samples=0, num_epochs=5)
    model.update(ctx, cands[:8], results[:7] + [RunnerResult(None, "crash")])
    group = next(iter(model.data.groups.values()))
    assert group.labels()[-1] < 1e-6


def test_missing_torch_names_the_extra():
    code = ("import sys; sys.modules['torch'] = None\n"
            "from raytune_ms.cost_model import CostModel\n"
            "try:\n    CostModel.create('mlp')\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "cost model kind 'mlp' is not available" in out and "torch extra" in out
