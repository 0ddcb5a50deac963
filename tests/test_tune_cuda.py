"""Tuning a CUDA target with a runner that cannot measure CUDA kernels (LocalRunner on a machine
without a GPU) fails at once with an error naming the task, the target, the runner and the
missing GPU (not after the search built a batch)."""

import pytest

import raytune_ms as ms
from raytune_ms import workloads
from raytune_ms.runner.cuda_evaluate import gpu_unavailable_reason


@pytest.mark.skipif(gpu_unavailable_reason() is None, reason="this machine has a GPU: LocalRunner measures CUDA")
def test_cuda_target_with_a_cpu_runner_fails_at_once(tmp_path):
    func = workloads.get("GMM", "small").func
    with pytest.raises(NotImplementedError,
                       match=r"task 'main': target 'cuda.*LocalRunner measures only cpu here; no NVIDIA GPU"):
        ms.tune_tir(func, "cuda", str(tmp_path), max_trials_global=4, num_trials_per_iter=4,
                    builder="local", runner="local", progress=False)
