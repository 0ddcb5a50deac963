"""Two `raytune-ms tune` jobs at once on one `ray start` cluster, both with the default pools
(no --num-builders/--num-runners): the second finds the CPUs taken and starts actors that
reserve none, instead of waiting for the first job's forever. Both must finish."""

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
JOB_TIMEOUT_S = 400  # generous: the machine is shared

pytestmark = [pytest.mark.slow, pytest.mark.cluster]


def _run(args, env=None, timeout=300):
    return subprocess.run([str(a) for a in args], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def cluster_env(request):
    """The environment of a client of a one-node cluster with 3 CPUs (its own temp dir, ports
    and auth token: never another Ray on the machine)."""
    cluster_dir = tempfile.mkdtemp(prefix="rtj-", dir="/tmp")

    def teardown():
        _run([sys.executable, LOCAL_CLUSTER, "stop", "--dir", cluster_dir])
        shutil.rmtree(cluster_dir, ignore_errors=True)

    request.addfinalizer(teardown)
    started = _run([sys.executable, LOCAL_CLUSTER, "start", "--dir", cluster_dir, "--workers", 0,
                    "--head-cpus", 3, "--json"])
    assert started.returncode == 0, f"cluster did not start:\n{started.stdout}\n{started.stderr}"
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    for line in _run([sys.executable, LOCAL_CLUSTER, "env", "--dir", cluster_dir]).stdout.splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        env[key] = shlex.split(value)[0]
    env["RAYTUNE_MS_ACTOR_FALLBACK_S"] = "3"
    return env


def _tune(env, work_dir, workload):
    args = ["raytune-ms", "tune", "--workload", workload, "--size", "small", "--trials", 8,
            "--num-trials-per-iter", 4, "--work-dir", work_dir, "--json", "--no-progress",
            "--strategy", "replay-trace", "--cost-model", "random"]
    return subprocess.Popen([str(a) for a in args], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_two_jobs_with_default_pools_share_a_cluster(cluster_env, tmp_path):
    jobs = [_tune(cluster_env, tmp_path / name, name) for name in ("GMM", "GEMV")]
    summaries = []
    for job in jobs:
        try:
            out, err = job.communicate(timeout=JOB_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            for other in jobs:
                other.kill()
            raise AssertionError(f"a job was still running after {JOB_TIMEOUT_S} s (deadlock?)") from None
        assert job.returncode == 0, err[-4000:]
        summaries.append(json.loads(out.strip().splitlines()[-1]))
    for summary in summaries:
        assert summary["trials"] == 8 and summary["correct"] is True, summary
    logs = [(tmp_path / name / "logs" / "tune.log").read_text() for name in ("GMM", "GEMV")]
    spans = [_span(log) for log in logs]
    overlapped = spans[0][0] < spans[1][1] and spans[1][0] < spans[0][1]
    # 2 x (2 builders + 1 runner) > 3 CPUs: jobs that ran at the same time had to go on
    # without some of the actors they asked for
    adapted = any("reserves no CPU" in log or "did not start" in log for log in logs)
    assert not overlapped or adapted, logs


def _span(log: str) -> tuple:
    """(first, last) timestamp of a tune.log."""
    stamps = [line[:23] for line in log.splitlines() if line[:4].isdigit()]
    return stamps[0], stamps[-1]
