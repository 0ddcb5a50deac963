"""compile_model with schedules drawn from the automatic design space through the default
postprocessors: a linear layer whose schedule packed its weight at run time gets the weight
pre-packed once at compile time (no copy stage in the kernel), and a conv model's weights are
re-laid out as before; both compiled models equal eager."""

import numpy as np
import pytest
import torch

from raytune_ms import compile_model, extract_tasks
from raytune_ms.database import Database, TuningRecord
from raytune_ms.postproc.rewrite_layout import runtime_pack
from raytune_ms.testing.design_spaces import context, replays
from raytune_ms.tir.layout_rewrite import split_layout_rewrite

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def _postproc_kinds(sch):
    kinds = [inst.kind.name for inst in sch.trace.insts]
    return kinds[kinds.index("EnterPostproc"):]


def _compiled(model, x, want_prepacked):
    """The model compiled with, per task, the first replay that pre-packs (when asked), else the
    first replay; also the per-task flags of what was chosen."""
    db = Database.create("memory")
    prepacked = []
    for task in extract_tasks(model, (x,), "llvm"):
        scheds, _ = replays(context(task.mod, target="llvm -num-cores=2"), 8, seed=1)
        chosen = next((s for s in scheds if "ComputeInline" in _postproc_kinds(s)), None) if want_prepacked else None
        chosen = chosen or scheds[0]
        prepacked.append("ComputeInline" in _postproc_kinds(chosen))
        db.commit_tuning_record(TuningRecord(chosen.trace, db.commit_workload(task.mod), [1e-5], task.target, None))
        kernel, maps = split_layout_rewrite(chosen.mod["main"])
        assert all(runtime_pack(kernel, kernel.params[i]) is None for i in maps)
    return compile_model(db, model, (x,), "llvm"), prepacked


def test_linear_model_with_prepacked_weights_equals_eager():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 96), torch.nn.GELU(), torch.nn.Linear(96, 32)).eval()
    x = torch.randn(32, 64)
    compiled, prepacked = _compiled(model, x, want_prepacked=True)
    assert all(prepacked), prepacked
    assert set(compiled.how.values()) == {"tuned"}
    weights = {name for (_, name) in compiled.weight_layouts}
    assert len(weights) >= 2
    for (_, name), imap in compiled.weight_layouts.items():
        assert imap.map_shape(compiled.lowered.constants[name].shape) != compiled.lowered.constants[name].shape
    np.testing.assert_allclose(compiled(x).numpy(), model(x).detach().numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(compiled(-x).numpy(), model(-x).detach().numpy(), rtol=1e-4, atol=1e-4)


def test_conv_model_equals_eager():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(8, 32, 3, padding=1), torch.nn.ReLU(),
                                torch.nn.Conv2d(32, 16, 1)).eval()
    x = torch.randn(1, 8, 12, 12)
    compiled, _ = _compiled(model, x, want_prepacked=False)
    assert compiled.weight_layouts
    np.testing.assert_allclose(compiled(x).numpy(), model(x).detach().numpy(), rtol=1e-4, atol=1e-3)
