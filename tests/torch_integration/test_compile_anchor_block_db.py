"""compile_model on a store reopened with module_equality="anchor-block": the two fused variants of a
residual block's conv (conv+bn+relu, conv+bn+add+relu), tuned each on its own into a real Parquet
store, pool their records; each kernel gets the best trace that fits it and the model still
computes what PyTorch computes."""

import numpy as np
import pytest
import torch

from raytune_ms import compile_model, tune_model
from raytune_ms.builder import LocalBuilder
from raytune_ms.database import Database
from raytune_ms.runner import EvaluatorConfig, LocalRunner
from raytune_ms.space_generator import ScheduleFn
from raytune_ms.testing.torch_models import BasicBlock, randomize_batch_norms, tiny_space

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


@pytest.mark.slow
def test_compile_model_on_a_store_reopened_by_anchor_block(tmp_path):
    torch.manual_seed(0)
    model = randomize_batch_norms(torch.nn.Sequential(BasicBlock(8, 8, 1))).eval()
    x = torch.randn(1, 8, 8, 8)
    space = ScheduleFn(tiny_space, sch_rules=None, postprocs=None, mutator_probs=None)
    tune_model(model, (x,), "llvm", str(tmp_path), 4, max_trials_per_task=2, num_trials_per_iter=2,
               builder=LocalBuilder(max_workers=2), runner=LocalRunner(evaluator_config=EvaluatorConfig(1, 1, 1)),
               database="parquet", space=space, seed=3).flush()
    pooled = Database.create("parquet", work_dir=str(tmp_path), module_equality="anchor-block")
    assert len(pooled.workloads()) == 2 and len(pooled) == 4
    compiled = compile_model(pooled, model, (x,), "llvm")
    assert set(compiled.how.values()) == {"tuned"}
    np.testing.assert_allclose(compiled(x).numpy(), model(x).detach().numpy(), rtol=1e-4, atol=1e-4)
