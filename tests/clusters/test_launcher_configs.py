"""The cloud launcher examples (clusters/aws.yaml, gcp.yaml, gpu_runners.yaml) are valid Ray cluster
configs, and give every role the resources the tuner schedules by. No cloud is reached: Ray's
own schema check (the one `ray up` runs first) stands in."""

from pathlib import Path

import pytest
import yaml
from ray.autoscaler._private.util import prepare_config, validate_config

CLUSTERS = Path(__file__).resolve().parents[2] / "clusters"


@pytest.fixture(params=["aws.yaml", "gcp.yaml", "gpu_runners.yaml"])
def config(request):
    with open(CLUSTERS / request.param) as f:
        raw = yaml.safe_load(f)
    filled = prepare_config(raw)
    validate_config(filled)
    return filled


def test_head_takes_no_builds(config):
    head = config["available_node_types"][config["head_node_type"]]
    assert head["resources"]["CPU"] == 0


def test_roles(config):
    """CPU workers build and measure CPU targets; GPU workers name their card."""
    types = [t["resources"] for t in config["available_node_types"].values()]
    cpu_workers = [r for r in types if r.get("CPU", 0) > 0 and not r.get("GPU")]
    gpu_workers = [r for r in types if r.get("GPU")]
    assert cpu_workers and gpu_workers
    for r in gpu_workers:
        assert r["CPU"] >= 1, "a runner actor that asks for a GPU also takes one CPU"
        assert any(name.startswith("accel_") for name in r), r


def test_nodes_install_the_project(config):
    setup = "\n".join(config["setup_commands"])
    assert "pip install" in setup and "raytune-ms" in setup
    assert "~/raytune-ms" in config["file_mounts"]


def test_gpu_nodes_run_the_runners_and_cpu_nodes_build():
    """gpu_runners.yaml: the RPC tracker key is a resource of the GPU nodes alone, the builders'
    "build" resource one of the CPU nodes alone."""
    with open(CLUSTERS / "gpu_runners.yaml") as f:
        config = prepare_config(yaml.safe_load(f))
    types = config["available_node_types"]
    assert types["gpu_runner"]["resources"]["gpu_runner"] == types["gpu_runner"]["resources"]["GPU"]
    assert "build" not in types["gpu_runner"]["resources"]
    assert types["cpu_builder"]["resources"]["build"] == types["cpu_builder"]["resources"]["CPU"]
    assert "GPU" not in types["cpu_builder"]["resources"] and "gpu_runner" not in types["cpu_builder"]["resources"]
