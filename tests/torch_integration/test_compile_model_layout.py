"""Weights pre-transformed once at compile time: the front end marks constant inputs layout-free,
a tuned schedule that rewrote a weight's layout (RewriteLayout) is compiled without its copy
stage, the weight is converted once with the recorded IndexMap, and the compiled model equals
eager. Also a short real tuning run with the automatic space (whose postprocessors include
RewriteLayout), measured by the local runner against the baseline."""

import numpy as np
import pytest
import torch

from raytune_ms import compile_model, extract_tasks, tir, tune_model
from raytune_ms.builder import LocalBuilder
from raytune_ms.database import Database, TuningRecord
from raytune_ms.postproc import RewriteLayout
from raytune_ms.runner import EvaluatorConfig, LocalRunner
from raytune_ms.schedule import Schedule
from raytune_ms.tir.analysis import is_reduction_block
from raytune_ms.tir.layout_rewrite import LAYOUT_FREE_ATTR

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def _linear_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(64, 48), torch.nn.ReLU(), torch.nn.Linear(48, 32)).eval()


def _tiled_with_layout_rewrite(mod):
    """The anchor's j loop split and moved inside k, so the weight w[j, k] is read with stride:
    RewriteLayout stores it in panels read contiguously."""
    sch = Schedule(mod)
    anchor = next(b for b in tir.collect(mod["main"].body, tir.Block) if is_reduction_block(b))
    b = sch.get_block(anchor.name)
    loops = sch.get_loops(b)
    j, k = loops[-2], loops[-1]
    j0, j1 = sch.split(j, [None, 16])
    sch.reorder(j0, k, j1)
    sch.enter_postproc()
    assert RewriteLayout().apply(sch)
    return sch


def test_front_end_marks_constant_inputs_layout_free():
    model, x = _linear_model(), torch.randn(4, 64)
    for task in extract_tasks(model, (x,), "llvm"):
        func = task.mod["main"]
        free = dict(func.attrs)[LAYOUT_FREE_ATTR]
        assert [func.params[i].shape for i in free] in ([(48, 64), (48,)], [(32, 48), (32,)])


def test_compiled_model_converts_rewritten_weights_once_and_equals_eager():
    model, x = _linear_model(), torch.randn(4, 64)
    tasks = extract_tasks(model, (x,), "llvm")
    db = Database.create("memory")
    for task in tasks:
        sch = _tiled_with_layout_rewrite(task.mod)
        db.commit_tuning_record(TuningRecord(sch.trace, db.commit_workload(task.mod), [1e-5], task.target, None))
    compiled = compile_model(db, model, (x,), "llvm")
    assert set(compiled.how.values()) == {"tuned"}
    assert len(compiled.weight_layouts) == 2
    for (_, name), imap in compiled.weight_layouts.items():
        original = compiled.lowered.constants[name]
        assert imap.map_shape(original.shape) != original.shape
    want = model(x).detach().numpy()
    np.testing.assert_allclose(compiled(x).numpy(), want, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(compiled(2 * x).numpy(), model(2 * x).detach().numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.slow
def test_tuned_with_the_automatic_space_compiled_model_equals_eager(tmp_path):
    model, x = _linear_model(), torch.randn(16, 64)
    db = tune_model(model, (x,), "llvm", str(tmp_path), 16, num_trials_per_iter=8,
                    builder=LocalBuilder(max_workers=2),
                    runner=LocalRunner(evaluator_config=EvaluatorConfig(number=1, repeat=1, min_repeat_ms=1)),
                    database="memory", seed=3, strategy="replay-trace")
    compiled = compile_model(db, model, (x,), "llvm")
    np.testing.assert_allclose(compiled(x).numpy(), model(x).detach().numpy(), rtol=1e-4, atol=1e-4)
