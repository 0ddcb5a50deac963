"""LocalRunner's device hooks (f_alloc_argument, f_run_evaluator, f_cleanup, alloc_repeat) on
real artifacts: custom hooks are called in the measurement child with the reference's
arguments, their results become the record, and a failing hook is an error result. A "cuda"
artifact goes down the CUDA path (here: an error naming the missing GPU; on a GPU: timed)."""

import os

import numpy as np
import pytest

import raytune_ms as ms
from raytune_ms.arg_info import ArgInfo
from raytune_ms.builder import BuilderInput, LocalBuilder
from raytune_ms.runner import EvaluatorConfig, LocalRunner, RunnerInput
from raytune_ms.runner.cuda_evaluate import gpu_unavailable_reason
from raytune_ms.runner.hooks import Device, MeasureHooks, default_run_evaluator
from raytune_ms.tir import IRModule

FAST = EvaluatorConfig(number=1, repeat=2, min_repeat_ms=1)
NO_GPU = gpu_unavailable_reason()


@pytest.fixture(scope="module")
def gmm():
    return ms.workloads.get("GMM", "small")


@pytest.fixture(scope="module")
def artifact(gmm):
    builder = LocalBuilder(max_workers=1)
    (result,) = builder.build([BuilderInput(IRModule({"main": gmm.func}), "llvm")])
    builder.shutdown()
    assert result.error_msg is None
    return result.artifact


def _measure(runner, gmm, artifact, device_type="cpu"):
    inp = RunnerInput(None, device_type, ArgInfo.from_prim_func(gmm.func), artifact=artifact, baseline=artifact)
    try:
        return runner.run([inp])[0].result()
    finally:
        runner.shutdown()


def test_custom_hooks_are_called_with_the_references_arguments(gmm, artifact, tmp_path):
    log = tmp_path / "calls.txt"

    def alloc(device, args_info, alloc_repeat):
        with open(log, "a") as f:
            f.write(f"alloc {device.device_type} {device.device_id} {alloc_repeat} {args_info}\n")
        rng = np.random.default_rng(1)
        return [[rng.uniform(-1, 1, tuple(shape)).astype(dtype) for _, dtype, shape in args_info]
                for _ in range(alloc_repeat)]

    def run(rt_mod, device, evaluator_config, repeated_args):
        for args in repeated_args:  # the kernel computes on the hook's arguments
            a, b, c = args
            rt_mod(*args)
            np.testing.assert_allclose(c, np.matmul(a, b), rtol=1e-5, atol=1e-5)
        with open(log, "a") as f:
            f.write(f"run {len(repeated_args)} {evaluator_config.repeat}\n")
        return default_run_evaluator(rt_mod, device, evaluator_config, repeated_args)

    def cleanup():
        with open(log, "a") as f:
            f.write(f"cleanup {os.getpid()}\n")

    runner = LocalRunner(evaluator_config=FAST, alloc_repeat=3, f_alloc_argument=alloc, f_run_evaluator=run,
                         f_cleanup=cleanup)
    result = _measure(runner, gmm, artifact)
    assert result.error_msg is None, result.error_msg
    assert len(result.run_secs) == 3 * FAST.repeat  # repeat per argument set
    alloc_line, run_line, cleanup_line = log.read_text().splitlines()
    assert alloc_line == "alloc cpu 0 3 [['TENSOR', 'float32', [1, 16, 16]], ['TENSOR', 'float32', [1, 16, 16]], " \
                         "['TENSOR', 'float32', [1, 16, 16]]]"
    assert run_line == "run 3 2"
    assert int(cleanup_line.split()[1]) != os.getpid(), "hooks run in the measurement child"


def test_default_hooks_time_each_argument_set(gmm, artifact):
    result = _measure(LocalRunner(evaluator_config=FAST, alloc_repeat=2), gmm, artifact)
    assert result.error_msg is None and len(result.run_secs) == 4 and all(s > 0 for s in result.run_secs)


def test_hooks_by_name(gmm, artifact):
    runner = LocalRunner(evaluator_config=FAST, f_run_evaluator="raytune_ms.runner.hooks:default_run_evaluator")
    assert _measure(runner, gmm, artifact).error_msg is None


def test_a_failing_hook_is_an_error_result_and_cleanup_still_runs(gmm, artifact, tmp_path):
    marker = tmp_path / "cleaned"

    def broken(rt_mod, device, evaluator_config, repeated_args):
        raise RuntimeError("evaluator exploded")

    runner = LocalRunner(evaluator_config=FAST, f_run_evaluator=broken, f_cleanup=lambda: marker.write_text("y"))
    result = _measure(runner, gmm, artifact)
    assert result.error_msg.startswith("run error") and "evaluator exploded" in result.error_msg
    assert marker.read_text() == "y"


def test_bad_hooks_are_rejected_at_construction():
    with pytest.raises(ValueError, match="alloc_repeat"):
        LocalRunner(alloc_repeat=0)
    with pytest.raises(TypeError, match="f_run_evaluator"):
        LocalRunner(f_run_evaluator=3)
    with pytest.raises(TypeError, match="f_cleanup"):
        LocalRunner(f_cleanup="no_colon_name")


def test_device_defaults():
    from raytune_ms.runner import cuda_evaluate, hooks

    assert MeasureHooks().resolved("cuda") == (cuda_evaluate.alloc_argument, cuda_evaluate.run_evaluator,
                                               cuda_evaluate.cleanup)
    assert MeasureHooks().resolved("cpu")[1] is hooks.default_run_evaluator
    assert Device() == Device("cpu", 0)
    with pytest.raises(ValueError, match="'tpu'"):
        MeasureHooks().resolved("tpu")


@pytest.fixture(scope="module")
def cuda_artifact(gmm):
    pytest.importorskip("nvidia.cuda_nvrtc", reason="NVRTC (the cuda extra) is not installed")
    from raytune_ms.codegen.cuda_bind import bind_outer_loops

    return ms.build(bind_outer_loops(ms.Schedule(gmm.func), 64).mod, "cuda").to_bytes()


@pytest.mark.skipif(NO_GPU is None, reason="a GPU is present: the GPU test below covers this")
def test_a_cuda_artifact_takes_the_cuda_path(gmm, cuda_artifact):
    result = _measure(LocalRunner(evaluator_config=FAST), gmm, cuda_artifact, "cuda")
    assert "no NVIDIA GPU" in result.error_msg


@pytest.mark.gpu
@pytest.mark.skipif(NO_GPU is not None, reason=NO_GPU or "")
def test_local_runner_measures_a_cuda_artifact(gmm, cuda_artifact):
    result = _measure(LocalRunner(evaluator_config=FAST, alloc_repeat=2), gmm, cuda_artifact, "cuda")
    assert result.error_msg is None, result.error_msg
    assert len(result.run_secs) == 4 and all(s > 0 for s in result.run_secs)
