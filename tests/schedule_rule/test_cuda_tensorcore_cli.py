"""The user-facing switch for the tensor-core space: `--space cuda-tensorcore` (with `--dtype
float16`) of `raytune-ms tune` and `raytune-ms space`, PostOrderApply's "cuda-tensorcore" kinds
for tune_tir, as in the reference. Without a GPU, `space --build N` samples and builds through
NVRTC, and tuning refuses at once with the reason (never waits for a GPU)."""

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from raytune_ms import workloads
from raytune_ms.runner.cuda_evaluate import gpu_unavailable_reason
from raytune_ms.runtime.nvrtc import nvrtc_available
from raytune_ms.space_generator.post_order_apply import PostOrderApply
from raytune_ms.tune_cli import resolve_space

GPU_REASON = gpu_unavailable_reason()
no_gpu_only = pytest.mark.skipif(GPU_REASON is None, reason="this machine has a GPU: the no-GPU error does not apply")
CLI = [sys.executable, "-m", "raytune_ms.cli"]


def _run(*args, timeout=120):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout, env=dict(os.environ))


def test_the_switch_is_post_order_apply_with_the_tensorcore_kinds():
    space = resolve_space("cuda-tensorcore", "GMM")
    assert isinstance(space, PostOrderApply)
    assert (space.sch_rules, space.postprocs, space.mutator_probs) == ("cuda-tensorcore",) * 3


@pytest.mark.skipif(not nvrtc_available(), reason="NVRTC not installed (pip install nvidia-cuda-nvrtc-cu12)")
def test_space_build_samples_and_compiles_tensorized_candidates():
    proc = _run("space", "--workload", "GMM", "--size", "small", "--dtype", "float16", "--target", "cuda",
                "--space", "cuda-tensorcore", "--build", "3", "--json")
    assert proc.returncode == 0, proc.stderr
    counts = json.loads(proc.stdout)
    assert counts["sampled"] == 3 and counts["accepted"] >= 1, counts
    assert counts["built"] == counts["accepted"] == counts["tensorized"] and counts["build_errors"] == 0, counts
    assert counts["kernels"] >= counts["built"] and counts["kernels_per_s"] > 0


@no_gpu_only
def test_tuning_a_cuda_target_without_gpu_fails_at_once_naming_why(tmp_path):
    start = time.time()
    proc = _run("tune", "--workload", "GMM", "--size", "small", "--dtype", "float16", "--target", "cuda",
                "--space", "cuda-tensorcore", "--trials", "4", "--work-dir", str(tmp_path / "w"))
    assert proc.returncode == 2 and time.time() - start < 60, proc.stderr
    line, = proc.stderr.strip().splitlines()
    assert "is measured on a GPU: no NVIDIA GPU" in line and "--dtype float16 --build N" in line, line
    assert not (tmp_path / "w" / "database").exists()


@no_gpu_only
def test_tune_tir_with_the_tensorcore_space_refuses_without_gpu(tmp_path):
    from raytune_ms.tune import tune_tir

    space = PostOrderApply(sch_rules="cuda-tensorcore", postprocs="cuda-tensorcore", mutator_probs="cuda-tensorcore")
    func = workloads.get("GMM", "small", "float16").func
    with pytest.raises(NotImplementedError, match="needs a 'cuda' runner.*no NVIDIA GPU"):
        tune_tir(func, "cuda", str(tmp_path), 4, space=space, runner="local", builder="local")


def test_float16_suite_baseline_is_the_float64_reference_rounded_to_the_outputs():
    baseline = workloads.SuiteBaseline("GMM", "small", "float16")
    assert repr(baseline) == "SuiteBaseline('GMM', 'small', 'float16')"
    assert baseline.digest() != workloads.SuiteBaseline("GMM", "small").digest()
    work = workloads.get("GMM", "small", "float16")
    arrays = work.make_inputs(seed=2)
    expected = baseline.expected(arrays)
    a, b = (x.astype(np.float64) for x in arrays[:2])
    want = work.reference(a, b)[0]
    assert expected[-1].dtype == arrays[-1].dtype == np.float32
    np.testing.assert_allclose(expected[-1], want, rtol=1e-6)
