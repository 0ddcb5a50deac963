"""model_profile.task_kernels: one entry per task of a compiled model, whose kernel and PyTorch
counterpart (its anchor aten op) run on the buffers the model holds; where the task is that op
alone, both compute the same."""

import warnings

import numpy as np
import pytest

from raytune_ms.compiled_model import compile_model
from raytune_ms.database import MemoryDatabase
from raytune_ms.model_profile import task_kernels
from raytune_ms.testing.torch_models import BertLayer

torch = pytest.importorskip("torch")


def test_task_kernels_of_a_small_bert_layer():
    model = BertLayer(hidden=32, heads=2, ffn=64).eval()
    x = torch.randn(1, 8, 32, generator=torch.Generator().manual_seed(0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # every task unscheduled: compile_model says so
        compiled = compile_model(MemoryDatabase(), model, (x,), "llvm")
    tasks = task_kernels(compiled, model, (x,), "llvm")
    assert [t.task_name for t in tasks] == list(compiled.how)
    assert sum(t.weight for t in tasks) == 11 and all(t.how == "unscheduled" for t in tasks)
    alone = 0
    for task in tasks:
        assert task.torch_call is not None, task.task_name  # every BERT task has an anchor
        out = [a.copy() for a in task.args]
        task.kernel(*out)
        (want,) = task.torch_call(task.env)
        if len(task.ops) == 1:  # the task is the anchor op alone: both compute the same
            alone += 1
            np.testing.assert_allclose(out[-1], want, rtol=1e-4, atol=1e-5)
    assert alone == 2  # the softmax and the layer norm
