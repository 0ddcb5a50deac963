"""A real multi-node Ray cluster on this machine (clusters/local_cluster.py: a head and two worker
nodes, each its own `ray start`), tuning jobs sent to it with `ray job submit`
(clusters/submit_tune.sh), and the parquet store those jobs share: every measured record reaches
it, also when two jobs write it at once. The cluster is torn down even when a test fails."""

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from raytune_ms.database import Database

ROOT = Path(__file__).resolve().parents[2]
LOCAL_CLUSTER = ROOT / "clusters" / "local_cluster.py"
SUBMIT_TUNE = ROOT / "clusters" / "submit_tune.sh"
WORKERS = 2
WORKLOAD, SIZE, TRIALS = "GMM", "small", 16
JOB_TIMEOUT_S = 400  # generous: other work on the machine slows measurement

pytestmark = [pytest.mark.cluster, pytest.mark.slow]


def _run(args, env=None, timeout=120):
    return subprocess.run([str(a) for a in args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def cluster(request):
    """(state, env): the cluster's saved state and an environment whose `ray` commands and
    `ray.init()` reach it."""
    # Short, under /tmp: Ray's Unix socket paths live under each node's temp dir.
    cluster_dir = tempfile.mkdtemp(prefix="rtc-", dir="/tmp")

    def teardown():
        _run([sys.executable, LOCAL_CLUSTER, "stop", "--dir", cluster_dir])
        shutil.rmtree(cluster_dir, ignore_errors=True)

    request.addfinalizer(teardown)
    started = _run([sys.executable, LOCAL_CLUSTER, "start", "--dir", cluster_dir,
                    "--workers", WORKERS, "--json"], timeout=300)
    assert started.returncode == 0, f"cluster did not start:\n{started.stdout}\n{started.stderr}"
    state = json.loads(started.stdout.strip().splitlines()[-1])
    exports = _run([sys.executable, LOCAL_CLUSTER, "env", "--dir", cluster_dir])
    env = dict(os.environ)
    # `ray` and `raytune-ms` of this environment, also when it is not activated
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    for line in exports.stdout.splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        env[key] = shlex.split(value)[0]
    return state, env


def _nodes(env) -> list[dict]:
    listed = _run(["ray", "list", "nodes", "--format", "json"], env=env)
    assert listed.returncode == 0, listed.stderr
    return json.loads(listed.stdout)


def _submit(env, work_dir, trials=TRIALS, *options) -> subprocess.Popen:
    args = [SUBMIT_TUNE, work_dir, "--workload", WORKLOAD, "--size", SIZE, "--target", "llvm",
            "--trials", trials, "--json", "--no-progress", *options]
    return subprocess.Popen([str(a) for a in args], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _summary(job: subprocess.Popen) -> dict:
    """The tuner's final JSON line from the job's streamed log."""
    try:
        out, _ = job.communicate(timeout=JOB_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        job.kill()
        out, _ = job.communicate()
        raise AssertionError(f"job still running after {JOB_TIMEOUT_S} s:\n{out[-6000:]}") from None
    assert job.returncode == 0, f"job failed:\n{out[-6000:]}"
    for line in reversed(out.splitlines()):
        if line.startswith("{") and '"workload"' in line:
            return json.loads(line)
    raise AssertionError(f"no JSON summary in the job's log:\n{out[-6000:]}")


def _records(summary: dict):
    db = Database.create("parquet", summary["database"])
    return db, db.get_all_tuning_records()


def test_nodes_have_their_own_addresses_and_resources(cluster):
    state, env = cluster
    nodes = _nodes(env)
    assert [n["state"] for n in nodes] == ["ALIVE"] * (WORKERS + 1)
    by_ip = {n["node_ip"]: n for n in nodes}
    assert set(by_ip) == {node["ip"] for node in state["nodes"]}
    assert by_ip["127.0.0.2"]["is_head_node"]
    assert by_ip["127.0.0.3"]["resources_total"]["accel_sim"] == 1.0  # worker1: "accelerator"
    assert "accel_sim" not in by_ip["127.0.0.4"]["resources_total"]


def test_job_with_runtime_env_reaches_every_node(cluster):
    """The runtime env ships this checkout: the driver and tasks pinned to each node import
    raytune_ms from the uploaded working_dir; a custom resource picks the node that has it."""
    state, env = cluster
    script = (
        "import json, ray, raytune_ms\n"
        "ray.init()\n"
        "@ray.remote(num_cpus=0)\n"
        "def where():\n"
        "    import raytune_ms\n"
        "    return ray.util.get_node_ip_address(), raytune_ms.__file__\n"
        "ips = [n['NodeManagerAddress'] for n in ray.nodes() if n['Alive']]\n"
        "got = ray.get([where.options(resources={'node:' + ip: 0.01}).remote() for ip in ips])\n"
        "accel = ray.get(where.options(resources={'accel_sim': 1}).remote())[0]\n"
        "print(json.dumps({'driver': raytune_ms.__file__, 'tasks': got, 'accel': accel}))\n"
    )
    job = _run(["ray", "job", "submit", "--runtime-env", "clusters/runtime_env.yaml", "--",
                "python", "-c", script], env=env, timeout=JOB_TIMEOUT_S)
    assert job.returncode == 0, job.stdout + job.stderr
    line = next(ln for ln in reversed(job.stdout.splitlines()) if ln.startswith('{"driver"'))
    result = json.loads(line)
    assert "working_dir_files" in result["driver"]
    assert sorted(ip for ip, _ in result["tasks"]) == sorted(n["ip"] for n in state["nodes"])
    assert all("working_dir_files" in path for _, path in result["tasks"])
    assert result["accel"] == "127.0.0.3"  # the custom resource placed it on worker1


def test_tuning_job_records_reach_the_shared_store(cluster, tmp_path):
    state, env = cluster
    summary = _summary(_submit(env, tmp_path / "work_dir"))
    assert summary["workload"] == WORKLOAD
    assert summary["trials"] == TRIALS
    assert summary["correct"] is True
    db, records = _records(summary)
    assert len(records) == TRIALS
    assert len(db.workloads()) == 1
    valid = [r for r in records if r.is_valid()]
    assert valid, "no record of the job ran correctly"
    assert min(r.mean_run_secs for r in valid) * 1e3 == pytest.approx(summary["best_ms"], rel=1e-6)
    # Records name the node that measured them; the default pool has a runner on every node.
    provenance = {r.node for r in records}
    assert provenance <= {node["ip"] for node in state["nodes"]}
    assert len(provenance) >= 2, provenance


def test_two_concurrent_jobs_lose_no_record(cluster, tmp_path):
    """Each job takes a slice of the cluster (one builder, one runner: 2 of its 4 CPUs); the
    default pools claim the whole cluster, so two such jobs would wait on each other."""
    state, env = cluster
    work_dir = tmp_path / "shared_work_dir"
    slice_ = ("--num-builders", 1, "--num-runners", 1)
    jobs = [_submit(env, work_dir, trials, *slice_) for trials in (TRIALS, TRIALS // 2)]
    summaries = [_summary(job) for job in jobs]
    assert [s["trials"] for s in summaries] == [TRIALS, TRIALS // 2]
    assert summaries[0]["database"] == summaries[1]["database"]
    db, records = _records(summaries[0])
    print(f"concurrent jobs: {[s['trials'] for s in summaries]} trials reported, "
          f"{len(records)} records in the store, wall {[s['wall_s'] for s in summaries]} s")
    assert len(records) == sum(s["trials"] for s in summaries)
    assert len({r.record_id for r in records}) == len(records)
    assert len(db.workloads()) == 1
