"""bench/tvm_compare: the driver's ratios, and our side end to end at a tiny size (2 trials).
The TVM side needs the bench's own virtualenv (bench/tvm_compare/make_venv.sh); its test runs
only when TVM_PYTHON names that venv's python. No timing thresholds."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess

import pytest

_DIR = pathlib.Path(__file__).resolve().parents[1] / "bench" / "tvm_compare"


@pytest.fixture(scope="module")
def compare(load_bench):
    return load_bench("tvm_compare/compare")


def test_ratios_are_ours_over_tvm(compare):
    got = compare.ratios({"retimed_ms": 1.0, "best_ms": 2.0, "trials_per_min": 30.0},
                         {"retimed_ms": 3.0, "best_ms": 3.0, "trials_per_min": 10.0})
    assert got == {"speed_ratio": 3.0, "speed_ratio_tuner_records": 1.5, "trials_per_min_ratio": 3.0}
    assert compare.ratios({}, {"retimed_ms": 1.0})["speed_ratio"] is None


def test_cpu_line_names_the_cpu_and_avx512(compare):
    info = compare.cpu_info()
    assert info["cpu"] and isinstance(info["avx512"], bool)


@pytest.mark.slow
def test_our_side_end_to_end(tmp_path, capsys, compare):
    assert compare.main(["--sides", "ours", "--size", "small", "--trials", "2", "--workloads", "DEP",
                         "--work-dir", str(tmp_path)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["bench"] == "tvm_compare" and "avx512" in lines[0]
    side = lines[1]
    assert side["side"] == "ours" and side["workload"] == "DEP" and side["correct"] is True
    assert side["trials"] == 2 and side["trials_per_min"] > 0
    secs, correct = compare.retime_ours("DEP", "small", str(tmp_path / "ours_DEP"))
    assert correct and secs > 0


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("TVM_PYTHON"), reason="TVM_PYTHON (the bench venv's python) is not set")
def test_tvm_side_tunes_and_matches_numpy(tmp_path):
    done = subprocess.run([os.environ["TVM_PYTHON"], str(_DIR / "tvm_side.py"), "--workload", "DEP", "--size",
                           "small", "--trials", "2", "--work-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    line = json.loads(done.stdout.strip().splitlines()[-1])
    assert line["side"] == "tvm" and line["correct"] is True and line["trials"] >= 1
