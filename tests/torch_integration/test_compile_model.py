"""Whole models: extract_tasks' task tables (fused kernels, weights), compile_model against
PyTorch eager before tuning and after a tiny tuning run (local builder and runner, a schedule
function space), anchor traces serving fused variants."""

import warnings

import numpy as np
import pytest
import torch

from raytune_ms import compile_model, extract_tasks, tune_model
from raytune_ms.builder import LocalBuilder
from raytune_ms.database import Database
from raytune_ms.runner import EvaluatorConfig, LocalRunner
from raytune_ms.space_generator import ScheduleFn
from raytune_ms.testing.torch_models import BasicBlock, BertLayer, ResNet18, mlp, randomize_batch_norms, tiny_space
from raytune_ms.trace_apply import block_names

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")
FAST = EvaluatorConfig(number=1, repeat=1, min_repeat_ms=1)


def _table(tasks):
    return [(t.task_name, t.weight) for t in tasks]


def _check(compiled, model, x, tol):
    want = model(x).detach()
    got = compiled(x)
    assert isinstance(got, torch.Tensor)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=tol, atol=tol)
    assert np.allclose(compiled(x.numpy()), want.numpy(), rtol=tol, atol=tol)  # numpy in, numpy out
    return float((got - want).abs().max())


def _tune(model, x, tmp_path, trials, **kwargs):
    return tune_model(model, (x,), "llvm", str(tmp_path), trials, num_trials_per_iter=2,
                      builder=LocalBuilder(max_workers=2), runner=LocalRunner(evaluator_config=FAST),
                      database="memory", seed=7,
                      space=ScheduleFn(tiny_space, sch_rules=None, postprocs=None, mutator_probs=None), **kwargs)


def _before_and_after(model, x, tmp_path, n_tasks, op_names, tol):
    """compile_model matches eager unscheduled (all n_tasks listed) and after tuning op_names."""
    with pytest.warns(UserWarning, match=f"{n_tasks} task"):
        before = compile_model(Database.create("memory"), model, (x,), "llvm")
    assert _check(before, model, x, tol) < tol
    db = _tune(model, x, tmp_path, 4, op_names=op_names, max_trials_per_task=2)
    with pytest.warns(UserWarning, match="task"):
        after = compile_model(db, model, (x,), "llvm")
    assert _check(after, model, x, tol) < tol
    return after


def test_mlp_tasks_and_compiled_model_before_and_after_tuning(tmp_path):
    torch.manual_seed(0)
    model, x = mlp().eval(), torch.randn(4, 32)
    tasks = extract_tasks(model, (x,), "llvm")
    assert _table(tasks) == [("linear_bias_gelu", 1), ("linear_bias_relu", 1), ("linear_bias", 1)]
    with pytest.warns(UserWarning, match="3 task.*unscheduled: linear_bias_gelu, linear_bias_relu, linear_bias"):
        before = compile_model(Database.create("memory"), model, (x,), "llvm")
    assert _check(before, model, x, 1e-4) < 1e-4
    db = _tune(model, x, tmp_path, 6)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        after = compile_model(db, model, (x,), "llvm")
    assert set(after.how.values()) == {"tuned"}
    assert _check(after, model, x, 1e-4) < 1e-4


@pytest.mark.slow
def test_resnet18_tasks_and_compiled_model(tmp_path):
    torch.manual_seed(0)
    model, x = randomize_batch_norms(ResNet18()).eval(), torch.randn(1, 3, 32, 32)
    tasks = extract_tasks(model, (x,), "llvm")
    table = dict(_table(tasks))
    # 20 convolutions (stem, 16 in blocks, 3 downsamples), each fused with its folded batch norm,
    # the residual add and relu where they follow; max pool; pool + flatten; the classifier
    assert len(tasks) == 18 and sum(table.values()) == 23
    assert sum(w for n, w in table.items() if n.startswith("conv2d")) == 20
    assert sum(w for n, w in table.items() if n.startswith("conv2d_batch_norm_add_relu")) == 8
    assert table["max_pool2d"] == 1 and table["adaptive_avg_pool2d_flatten"] == 1 and table["linear_bias"] == 1
    # tune the stem conv and the classifier only; the rest stays unscheduled (and is listed)
    after = _before_and_after(model, x, tmp_path, 18, ["linear_bias", "conv2d_batch_norm_relu"], 1e-4)
    assert "tuned" in after.how.values() and "unscheduled" in after.how.values()


def test_anchor_trace_serves_an_untuned_fused_variant():
    """Two blocks of the same convolution, one ending in relu, one in add + relu: a record for
    the first serves the second through its anchor block."""
    import torch.nn as nn

    torch.manual_seed(0)
    model = randomize_batch_norms(nn.Sequential(BasicBlock(8, 8, 1))).eval()
    x = torch.randn(1, 8, 8, 8)
    tasks = extract_tasks(model, (x,), "llvm")
    assert _table(tasks) == [("conv2d_batch_norm_relu", 1), ("conv2d_batch_norm_add_relu", 1)]

    def schedule(sch):
        if "T_add" in block_names(sch):
            return False  # only the relu variant has a record
        conv = sch.get_block("conv2d_nchw")
        loops = sch.get_loops(conv)
        outer, _ = sch.split(loops[1], [None, 4])
        sch.parallel(outer)
        sch.compute_inline(sch.get_block("pad_temp"))

    compiled = compile_model(Database.create("schedule_fn", schedule), model, (x,), "llvm")
    assert compiled.how == {"conv2d_batch_norm_relu": "tuned",
                            "conv2d_batch_norm_add_relu": "anchor:conv2d_batch_norm_relu"}
    assert _check(compiled, model, x, 1e-4) < 1e-4


@pytest.mark.slow
def test_bert_layer_tasks_and_compiled_model(tmp_path):
    torch.manual_seed(0)
    model, x = BertLayer().eval(), torch.randn(1, 128, 768)
    tasks = extract_tasks(model, (x,), "llvm")
    assert _table(tasks) == [
        ("linear_bias_view_transpose", 2), ("linear_bias_view_transpose_transpose", 1), ("matmul_div", 1),
        ("softmax", 1), ("matmul_transpose_reshape", 1), ("linear_bias_add", 1), ("layer_norm", 2),
        ("linear_bias_gelu", 1), ("linear_bias_add_1", 1),
    ]
    after = _before_and_after(model, x, tmp_path, 9, ["softmax", "layer_norm"], 1e-3)
    assert after.how["softmax"] == "tuned" and after.how["layer_norm"] == "tuned"


class _WithCumsum(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(8, 8)

    def forward(self, x):
        return torch.relu(torch.cumsum(self.fc(x), dim=1))


def test_unsupported_op_runs_through_torch_with_fallback():
    from raytune_ms.torch_frontend import UnsupportedOperatorError

    torch.manual_seed(0)
    model, x = _WithCumsum().eval(), torch.randn(2, 8)
    with pytest.raises(UnsupportedOperatorError, match="aten.cumsum.default.*test_compile_model.py"):
        extract_tasks(model, (x,), "llvm")
    with pytest.warns(UserWarning, match="1 node.*aten.cumsum.default"):
        tasks = extract_tasks(model, (x,), "llvm", fallback="torch")
    assert _table(tasks) == [("linear_bias", 1), ("relu", 1)]
    with pytest.warns(UserWarning, match="2 task"):
        compiled = compile_model(Database.create("memory"), model, (x,), "llvm", fallback="torch")
    assert _check(compiled, model, x, 1e-5) < 1e-5


def test_anchor_block_equality_merges_fused_variants(tmp_path):
    import torch.nn as nn

    torch.manual_seed(0)
    model = randomize_batch_norms(nn.Sequential(BasicBlock(8, 8, 1))).eval()
    x = torch.randn(1, 8, 8, 8)
    (task,) = extract_tasks(model, (x,), "llvm", module_equality="anchor-block")
    assert (task.task_name, task.weight, len(task.dispatched)) == ("conv2d_batch_norm_relu", 2, 2)
    db = _tune(model, x, tmp_path, 2, module_equality="anchor-block")
    compiled = compile_model(db, model, (x,), "llvm")
    assert compiled.how == {"conv2d_batch_norm_relu": "tuned",
                            "conv2d_batch_norm_add_relu": "anchor:conv2d_batch_norm_relu"}
    assert _check(compiled, model, x, 1e-4) < 1e-4
