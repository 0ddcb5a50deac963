"""clusters/local_cluster.py refuses what would fail inside Ray with an unclear message, and its
stop/env commands behave on a directory that holds no cluster (fast: nothing is started)."""

import subprocess
import sys
from pathlib import Path

LOCAL_CLUSTER = Path(__file__).resolve().parents[2] / "clusters" / "local_cluster.py"


def _run(*args):
    return subprocess.run([sys.executable, str(LOCAL_CLUSTER), *map(str, args)],
                          capture_output=True, text=True, timeout=60)


def test_too_long_directory_is_refused_before_starting(tmp_path):
    long_dir = tmp_path / ("d" * 60)
    out = _run("start", "--dir", long_dir)
    assert out.returncode != 0
    assert "too long for Ray's Unix socket paths" in out.stderr
    assert not long_dir.exists()


def test_stop_without_a_cluster_is_a_no_op(tmp_path):
    out = _run("stop", "--dir", tmp_path)
    assert out.returncode == 0, out.stderr
    assert "stopped in 0.0 s" in out.stdout


def test_env_without_a_cluster_says_so(tmp_path):
    out = _run("env", "--dir", tmp_path)
    assert out.returncode != 0
    assert f"no local cluster recorded in {tmp_path}" in out.stderr
