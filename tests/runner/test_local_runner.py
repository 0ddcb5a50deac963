"""LocalRunner on real artifacts: run times for a correct kernel, and an error result (never an
exception, never a dead runner) for a segfault, a hang or a wrong output; timeouts count
execution only."""

import pytest

import raytune_ms as ms
from raytune_ms.arg_info import ArgInfo
from raytune_ms.builder import BuilderInput, LocalBuilder
from raytune_ms.runner import EvaluatorConfig, LocalRunner, RunnerInput
from raytune_ms.testing import planted
from raytune_ms.tir import IRModule

FAST = EvaluatorConfig(number=1, repeat=2, min_repeat_ms=1)


@pytest.fixture(scope="module")
def gmm():
    return ms.workloads.get("GMM", "small")


@pytest.fixture(scope="module")
def built(gmm):
    builder = LocalBuilder(max_workers=2, f_build=planted.planted_build)
    mods = [IRModule({"main": gmm.func})] + planted.planted_modules(gmm.func, [0, 1, 2, 3])
    results = builder.build([BuilderInput(m, "llvm") for m in mods])
    builder.shutdown()
    return results


def test_faults_become_error_results(gmm, built):
    reference, normal, segv, hang, wrong = built
    runner = LocalRunner(timeout_sec=3, evaluator_config=FAST, slow_factor=None)  # the hard timeout
    args = ArgInfo.from_prim_func(gmm.func)
    futures = runner.run([RunnerInput(None, "cpu", args, artifact=r.artifact, baseline=reference.artifact)
                          for r in (normal, segv, hang, wrong, normal)])
    results = [f.result() for f in futures]
    runner.shutdown()
    assert results[0].error_msg is None and len(results[0].run_secs) == 2
    assert results[1].error_msg.startswith("crash") and "SIGSEGV" in results[1].error_msg
    assert results[2].error_msg.startswith("timeout")
    assert results[3].error_msg.startswith("wrong result") and "argument 2" in results[3].error_msg
    assert results[4].error_msg is None, "the runner lives on after the faults"


def test_check_can_be_disabled(gmm, built):
    reference, _, _, _, wrong = built
    runner = LocalRunner(evaluator_config=FAST, check_correctness=False)
    args = ArgInfo.from_prim_func(gmm.func)
    inp = RunnerInput(None, "cpu", args, artifact=wrong.artifact, baseline=reference.artifact)
    result = runner.run([inp])[0].result()
    runner.shutdown()
    assert result.error_msg is None


def test_timeout_counts_execution_not_queueing(gmm):
    """Four candidates of ~0.6 s each queue on one worker with a 2 s timeout: none times out."""
    def slow_build(mod, target, params):
        from raytune_ms.codegen import codegen_c, entry_symbol
        from raytune_ms.runtime import compile_c

        func = mod["main"]
        symbol = entry_symbol(func.name)
        head = f"int32_t {symbol}(void** args) {{\n"
        source = codegen_c(func, target).replace(head, head + "  usleep(150000);\n", 1)
        return compile_c("#include <unistd.h>\n" + source, target, symbol)

    builder = LocalBuilder(max_workers=1, f_build=slow_build)
    (art,) = builder.build([BuilderInput(IRModule({"main": gmm.func}), "llvm")])
    builder.shutdown()
    assert art.error_msg is None, art.error_msg
    runner = LocalRunner(timeout_sec=2, evaluator_config=EvaluatorConfig(number=1, repeat=1, min_repeat_ms=0),
                         check_correctness=False)
    args = ArgInfo.from_prim_func(gmm.func)
    results = [f.result() for f in runner.run([RunnerInput(None, "cpu", args, artifact=art.artifact)] * 4)]
    runner.shutdown()
    assert all(r.error_msg is None for r in results), [r.error_msg for r in results]
