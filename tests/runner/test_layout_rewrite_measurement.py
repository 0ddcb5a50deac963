"""A candidate whose weight RewriteLayout re-laid out is measured as the reference measures it:
the builder leaves the copy stage out, the argument info carries the IndexMap, and the runner
converts the seeded weight before running, so the check against the baseline still holds (and
fails when the weight is not converted)."""

import pytest

from raytune_ms.arg_info import ArgInfo, TensorInfo
from raytune_ms.builder import BuilderInput, LocalBuilder
from raytune_ms.postproc import RewriteLayout
from raytune_ms.runner import EvaluatorConfig, LocalRunner, RunnerInput
from raytune_ms.schedule import Schedule
from raytune_ms.testing import bare_matmul
from raytune_ms.tir import IRModule
from raytune_ms.tir.layout_rewrite import LAYOUT_FREE_ATTR, preproc_blocks

FAST = EvaluatorConfig(number=1, repeat=2, min_repeat_ms=1)


@pytest.fixture(scope="module")
def rewritten():
    f = bare_matmul(64, 64, 32).with_attr(LAYOUT_FREE_ATTR, (1,))
    sch = Schedule(f)
    i, j, k = sch.get_loops(sch.get_block("C"))
    j0, j1 = sch.split(j, [4, 16])
    sch.reorder(i, j0, k, j1)
    sch.enter_postproc()
    assert RewriteLayout().apply(sch) and preproc_blocks(sch.mod["main"])
    return f, sch


def test_argument_info_carries_the_layout_and_round_trips(rewritten):
    f, sch = rewritten
    info = ArgInfo.from_entry_func(sch.mod)
    assert [a.layout is None for a in info] == [True, False, True]
    assert info[1].shape == (32, 64)  # the caller's (original) shape
    assert [ArgInfo.from_json(a.as_json()) for a in info] == info
    assert ArgInfo.from_json(["TENSOR", "float32", [2, 2]]) == TensorInfo("float32", (2, 2))


def test_runner_converts_the_weight_and_checks_against_the_baseline(rewritten):
    f, sch = rewritten
    builder = LocalBuilder(max_workers=1)
    base, cand = builder.build([BuilderInput(IRModule({"main": f}), "llvm"), BuilderInput(sch.mod, "llvm")])
    builder.shutdown()
    runner = LocalRunner(evaluator_config=FAST)
    info = ArgInfo.from_entry_func(sch.mod)
    plain = ArgInfo.from_prim_func(f)  # the map dropped: the kernel reads the weight unconverted
    ok, wrong = [fut.result() for fut in runner.run(
        [RunnerInput(None, "cpu", args, artifact=cand.artifact, baseline=base.artifact) for args in (info, plain)])]
    runner.shutdown()
    assert ok.error_msg is None and len(ok.run_secs) == 2
    assert wrong.error_msg.startswith("wrong result") and "argument 2" in wrong.error_msg
