"""RPCRunner on a real multi-node Ray cluster (clusters/local_cluster.py: a head and one worker
node that advertises the custom resource "accel_sim", each its own `ray start`). A driver that
knows only the tracker's host and port (no RAY_ADDRESS) attaches to the cluster through
RPCConfig, and with tracker_key="accel_sim" every candidate is measured on the worker node,
both when called directly and inside tune_tir. The cluster is torn down even when a test fails."""

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCAL_CLUSTER = ROOT / "clusters" / "local_cluster.py"
ACCEL_IP = "127.0.0.3"  # worker 1: the node with accel_sim

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

DRIVER = r'''
import json, sys
import raytune_ms as ms
from raytune_ms.arg_info import ArgInfo
from raytune_ms.builder import BuilderInput, LocalBuilder
from raytune_ms.runner import EvaluatorConfig, RPCConfig, Runner, RunnerInput
from raytune_ms.tir import IRModule

host, port, work_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
fast = EvaluatorConfig(number=1, repeat=1, min_repeat_ms=1)
config = RPCConfig(tracker_host=host, tracker_port=port, tracker_key="accel_sim", session_timeout_sec=30)
runner = Runner.create("rpc", config, fast)
import ray
out = {"gcs": ray.get_runtime_context().gcs_address}
gmm = ms.workloads.get("GMM", "small")
builder = LocalBuilder(max_workers=1)
(built,) = builder.build([BuilderInput(IRModule({"main": gmm.func}), "llvm")])
builder.shutdown()
inp = RunnerInput(None, "cpu", ArgInfo.from_prim_func(gmm.func), artifact=built.artifact, baseline=built.artifact)
results = [f.result() for f in runner.run([inp] * 3)]
out["direct"] = [[r.error_msg, r.node, r.run_secs] for r in results]
runner.shutdown()
db = ms.tune_tir(gmm.func, "llvm", work_dir, max_trials_global=4, num_trials_per_iter=4, builder="local",
                 runner=Runner.create("rpc", config, fast), seed=1, progress=False)
records = db.get_all_tuning_records()
out["tuned"] = [[r.run_secs is not None, getattr(r, "node", None)] for r in records]
print("RESULT " + json.dumps(out), flush=True)
'''


def _run(args, env=None, timeout=120):
    return subprocess.run([str(a) for a in args], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def cluster(request):
    """(state, env): the cluster's state, and an environment with its auth token but no
    RAY_ADDRESS (the driver must find the cluster through RPCConfig)."""
    cluster_dir = tempfile.mkdtemp(prefix="rtr-", dir="/tmp")

    def teardown():
        _run([sys.executable, LOCAL_CLUSTER, "stop", "--dir", cluster_dir])
        shutil.rmtree(cluster_dir, ignore_errors=True)

    request.addfinalizer(teardown)
    started = _run([sys.executable, LOCAL_CLUSTER, "start", "--dir", cluster_dir, "--workers", 1, "--json"],
                   timeout=300)
    assert started.returncode == 0, f"cluster did not start:\n{started.stdout}\n{started.stderr}"
    state = json.loads(started.stdout.strip().splitlines()[-1])
    env = dict(os.environ)
    for line in _run([sys.executable, LOCAL_CLUSTER, "env", "--dir", cluster_dir]).stdout.splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        env[key] = shlex.split(value)[0]
    env.pop("RAY_ADDRESS")
    env.pop("RAY_API_SERVER_ADDRESS")
    return state, env


def test_rpc_runner_measures_on_the_node_with_the_tracker_key(cluster, tmp_path):
    state, env = cluster
    host, port = state["gcs_address"].rsplit(":", 1)
    done = _run([sys.executable, "-c", DRIVER, host, port, tmp_path / "work"], env=env, timeout=600)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, f"driver failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    out = json.loads(lines[0].removeprefix("RESULT "))
    assert out["gcs"] == state["gcs_address"], "attached through tracker_host:tracker_port"
    for error, node, secs in out["direct"]:
        assert error is None and node == ACCEL_IP and secs and secs[0] > 0
    assert out["tuned"] and all(ok and node == ACCEL_IP for ok, node in out["tuned"]), out["tuned"]
