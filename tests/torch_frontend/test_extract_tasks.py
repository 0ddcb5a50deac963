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
    tasks = extract_tasks(model, (torch.randn(2, 8),), "llvm", fuse=False)
    assert [(t.task_name, t.weight) for t in tasks] == [("linear_bias", 2), ("relu", 2), ("linear_bias_1", 1)]
    assert sum(t.weight for t in tasks) == 5
    fused = extract_tasks(model, (torch.randn(2, 8),), "llvm")
    assert [(t.task_name, t.weight) for t in fused] == [("linear_bias_relu", 2), ("linear_bias", 1)]
    # decomposed (permute + addmm): the weights' transposes are folded into constants, no kernel
    decomposed = extract_tasks(model, (torch.randn(2, 8),), "llvm", decompose=True)
    assert [(t.task_name, t.weight) for t in decomposed] == [("addmm_relu", 2), ("addmm", 1)]
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
    with pytest.raises(ValueError, match="module_equality 'bogus' is not supported"):
        extract_tasks(nn.ReLU(), (torch.randn(3),), "llvm", module_equality="bogus")


class BasicBlock(nn.Module):
    """ResNet's basic block: conv-bn-relu, conv-bn, + identity, relu."""

    def __init__(self, c):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)
        self.c2, self.b2 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)

    def forward(self, x):
        return torch.relu(self.b2(self.c2(torch.relu(self.b1(self.c1(x))))) + x)


def test_residual_blocks_share_tasks_and_lower_exactly():
    from raytune_ms.torch_frontend import lower_module, run_lowered

    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, stride=2, padding=1), BasicBlock(4), BasicBlock(4),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3)).eval()
    x = torch.randn(1, 3, 8, 8)
    weights = {t.task_name: t.weight for t in extract_tasks(model, (x,), "llvm", fuse=False)}
    # the stem conv has its own shape; the four block convs, batch norms and relus are one task each
    assert weights == {"conv2d_bias": 1, "conv2d": 4, "batch_norm": 4, "relu": 4, "add": 2,
                       "adaptive_avg_pool2d": 1, "flatten": 1, "linear_bias": 1}
    # fused: conv + folded batch norm (+ residual add) + relu, pooling + flatten
    weights = {t.task_name: t.weight for t in extract_tasks(model, (x,), "llvm")}
    assert weights == {"conv2d_bias": 1, "conv2d_batch_norm_relu": 2, "conv2d_batch_norm_add_relu": 2,
                       "adaptive_avg_pool2d_flatten": 1, "linear_bias": 1}
    for fuse in (False, True):
        (out,) = run_lowered(lower_module(model, (x,), fuse=fuse), x)
        np.testing.assert_allclose(out, model(x).detach().numpy(), rtol=1e-4, atol=1e-5)
