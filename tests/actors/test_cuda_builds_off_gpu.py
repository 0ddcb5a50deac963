"""Builds for a CUDA target stay off the GPU: on a real local Ray whose node advertises a (fake)
GPU, builder actors never ask for it, and a build completes while a CUDA runner's GPU
measurement slot is held (builders share the machine's slot, runners on a GPU hold that GPU's
own). Runs in a child process: it needs a Ray of its own with num_gpus=1."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from raytune_ms.runtime.nvrtc import nvrtc_available

SCRIPT = textwrap.dedent("""
    import json, sys
    import ray
    ray.init(address="local", num_cpus=2, num_gpus=1, include_dashboard=False, log_to_driver=False,
             logging_level="ERROR", runtime_env={"env_vars": {"RAYTUNE_MS_SLOT_DIR": sys.argv[1]}})
    from actors.builder_pool import RayBuilder
    from raytune_ms.builder import BuilderInput
    from raytune_ms.testing.cuda_schedules import shared_matmul

    @ray.remote(num_gpus=1, num_cpus=0)
    class Runner:
        def hold(self):  # what a CUDA runner does while it measures
            from actors.runner_pool import gpu_slot
            self.slot = gpu_slot()
            self.token = self.slot.acquire_measure()
            return ray.get_gpu_ids(), self.slot.name

        def release(self):
            self.slot.release(self.token)

    runner = Runner.remote()
    gpus, slot = ray.get(runner.hold.remote())
    builder = RayBuilder(timeout_sec=120)
    (res,) = builder.build([BuilderInput(shared_matmul().mod, "cuda")])
    out = {"gpus": gpus, "slot": slot, "error": res.error_msg, "built": res.artifact is not None,
           "builder_resources": builder.resources, "builders": builder.parallelism,
           "free_gpus": ray.available_resources().get("GPU", 0.0)}
    ray.get(runner.release.remote())
    builder.shutdown()
    print("RESULT " + json.dumps(out))
""")


@pytest.mark.slow
@pytest.mark.skipif(not nvrtc_available(), reason="NVRTC not installed (pip install nvidia-cuda-nvrtc-cu12)")
def test_cuda_builds_do_not_take_the_gpu_or_its_slot(tmp_path):
    env = dict(os.environ, RAYTUNE_MS_SLOT_DIR=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True,
                          timeout=300, env=env)
    lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    out = json.loads(lines[-1][len("RESULT "):])
    assert out["gpus"] == [0] and out["slot"] == "raytune_ms_measure_slot_gpu0"
    assert out["error"] is None and out["built"], out
    assert "GPU" not in out["builder_resources"] and out["builders"] >= 1
    assert out["free_gpus"] == 0.0  # the runner holds the only GPU; the builders never needed it
