"""The correctness check of suite workloads against their numpy references (SuiteBaseline, which
the CLI passes as a task's baseline): a wrong kernel is still caught, and every baseline agrees
with its unscheduled program on the checker's inputs."""

import raytune_ms as ms
from raytune_ms.arg_info import ArgInfo
from raytune_ms.codegen import build_artifact
from raytune_ms.runner import EvaluatorConfig
from raytune_ms.runner.measurer import Measurer
from raytune_ms.testing import batch_add
from raytune_ms.workloads import SuiteBaseline

THREE = EvaluatorConfig(number=1, repeat=3, min_repeat_ms=1)


def test_suite_workloads_are_checked_against_numpy():
    wl = ms.workloads.get("GMM", "standard")
    assert repr(SuiteBaseline("GMM", "standard")) == "SuiteBaseline('GMM', 'standard')"
    args = ArgInfo.from_prim_func(wl.func)
    baseline = SuiteBaseline("GMM", "standard")
    measurer = Measurer(evaluator_config=THREE)
    try:
        good = measurer.measure(build_artifact(wl.func, "llvm"), args, baseline)
        wrong = measurer.measure(build_artifact(batch_add(128), "llvm"), args, baseline)
    finally:
        measurer.close()
    assert good.error_msg is None
    assert wrong.error_msg.startswith("wrong result: argument 2 differs from the baseline"), wrong.error_msg


def test_every_suite_baseline_agrees_with_its_unscheduled_program_on_the_checkers_inputs():
    from raytune_ms.runner.config import CorrectnessConfig
    from raytune_ms.runner.evaluate import arg_specs, compare, load, run_once, seeded_inputs

    check = CorrectnessConfig()
    for name in ms.workloads.names():
        wl = ms.workloads.get(name, "small")
        specs = arg_specs(ArgInfo.from_prim_func(wl.func))
        program = run_once(load(build_artifact(wl.func, "llvm"), specs), specs, check.seed)
        numpy = SuiteBaseline(name, "small").expected([a.copy() for a in seeded_inputs(specs, check.seed)])
        compare(program, numpy, check.rtol, check.atol)
