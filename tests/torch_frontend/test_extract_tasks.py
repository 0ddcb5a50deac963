"""extract_tasks: a model's kernels as tuning tasks, structurally equal ones merged with a weight."""

import numpy as np
import pytest
import torch
import torch.nn as nn

from raytune_ms import Schedule, build
from raytune_ms.torch_integration import extract_tasks

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def test_repeated_layers_become_weighted_tasks():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 4)).eval()
    tasks = extract_tasks(model, (torch.randn(2, 8),), "llvm")
    assert [(t.task_name, t.weight) for t in tasks] == [("linear", 2), ("relu", 2), ("linear_2", 1)]
    assert sum(t.weight for t in tasks) == 5
    for t in tasks:
        assert t.mod.get_global_vars() == ["main"] and t.dispatched == [t.mod]
        assert t.target.kind == "llvm"
        Schedule(t.mod)  # schedulable as a tuning task
    # the merged linear kernel computes a linear layer
    x, w, b = (np.random.default_rng(k).uniform(-1, 1, s).astype("float32") for k, s in
               enumerate([(2, 8), (8, 8), (8,)]))
    out = np.zeros((2, 8), "float32")
    build(tasks[0].mod)(x, w, b, out)
    np.testing.assert_allclose(out, x @ w.T + b, rtol=1e-5, atol=1e-5)


def test_unknown_module_equality():
    with pytest.raises(ValueError, match="module_equality 'anchor-block' is not supported"):
        extract_tasks(nn.ReLU(), (torch.randn(3),), "llvm", module_equality="anchor-block")
