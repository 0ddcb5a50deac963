"""Every command-line input error is one line on stderr and exit status 2, before anything
starts (no Ray, no store); help text is for users; a closed pipe ends quietly."""

import os
import socket
import subprocess
import sys
import time

import pytest

CLI = [sys.executable, "-m", "raytune_ms.cli"]


def _run(*args, env=None, timeout=60):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def _one_line_error(proc, *words):
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("args,words", [
    (["--workload", "NOPE"], ["unknown workload 'NOPE'", "known: C1D"]),
    (["--workload", "GMM", "--target", "garbage -x"], ["--target", "garbage"]),
    (["--workload", "GMM", "--space", "cuda-tensorcore"], ["--space cuda-tensorcore needs a CUDA target"]),
    (["--workload", "SFM", "--dtype", "float16"], ["workload 'SFM' has no float16 variant"]),
    (["--workload", "GMM", "--trials", "0"], ["--trials", "at least 1"]),
    (["--workload", "GMM", "--trials", "-3"], ["--trials"]),
    (["--workload", "GMM", "--num-trials-per-iter", "0"], ["--num-trials-per-iter"]),
    (["--workload", "GMM", "--strategy", "magic"], ["--strategy", "replay-trace"]),
    (["--workload", "GMM", "--builder", "local", "--num-builders", "2"], ["--num-builders"]),
])
def test_tune_argument_errors(tmp_path, args, words):
    work_dir = tmp_path / "w"
    _one_line_error(_run("tune", *args, "--work-dir", str(work_dir)), *words)
    assert not (work_dir / "database").exists()  # nothing was opened, no Ray started


def test_work_dir_errors(tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    _one_line_error(_run("tune", "--workload", "GMM", "--work-dir", str(a_file)), "not a directory")
    _one_line_error(_run("tune", "--workload", "GMM", "--work-dir", str(a_file / "sub")), "cannot write")
    _one_line_error(_run("tune", "--workload", "GMM", "--work-dir", "nofs://bucket/x"), "nofs://")
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        _one_line_error(_run("tune", "--workload", "GMM", "--work-dir", str(locked / "w")), "cannot write")


def test_db_errors_create_nothing(tmp_path):
    missing = tmp_path / "missing"
    _one_line_error(_run("db", "summary", str(missing)), "not a directory")
    _one_line_error(_run("db", "summary", f"file://{missing}"), "no parquet store")
    _one_line_error(_run("db", "summary", "nofs://x/y"), "cannot open nofs://x/y")
    _one_line_error(_run("db", "summary", str(tmp_path)), "expected a parquet store")
    assert not missing.exists()
    assert os.listdir(tmp_path) == []


def test_a_stale_ray_address_fails_in_seconds_naming_it(tmp_path):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.monotonic()
    proc = _run("tune", "--workload", "GMM", "--size", "small", "--trials", "2", "--work-dir",
                str(tmp_path / "w"), env={"RAY_ADDRESS": f"127.0.0.1:{port}"})
    assert time.monotonic() - start < 30
    _one_line_error(proc, f"RAY_ADDRESS=127.0.0.1:{port}", "unset RAY_ADDRESS")


def test_a_closed_pipe_ends_quietly():
    proc = subprocess.Popen([*CLI, "workloads", "--list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader is gone before the first line, as with `| head -0`
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "BrokenPipeError" not in err and "Traceback" not in err, err
    shell = subprocess.run(f"{' '.join(CLI)} workloads --list | head -2", shell=True, capture_output=True,
                           text=True, timeout=60)
    assert len(shell.stdout.splitlines()) == 2 and shell.stderr == ""


def test_help_is_for_users():
    top = _run("--help")
    assert top.returncode == 0
    assert "register" not in top.stdout and "lazily" not in top.stdout  # no developer notes
    assert "raytune-ms tune --workload GMM" in top.stdout
    tune = _run("tune", "--help").stdout
    from raytune_ms.cli import build_parser

    parser = build_parser()
    tune_parser = parser._subparsers._group_actions[0].choices["tune"]
    for action in tune_parser._actions:
        if action.dest == "help":
            continue
        assert action.help, f"--{action.dest} has no help"
    for text in ("--cost-model {random", "--strategy {replay-trace", "--size {standard,small}",
                 "(default: standard)", "(default: 64)", "(default: evolutionary)", "(default: xgb)"):
        assert text in tune, text


def test_commands_the_help_names_run():
    """The help points to `raytune-ms workloads --list` and `COMMAND --help`: both work."""
    assert _run("workloads", "--list").returncode == 0
    for command in ("workloads", "tune", "db"):
        assert _run(command, "--help").returncode == 0
