"""bench/suite_vs_torch.py: every suite op's torch implementation computes what the numpy
reference does (small size, no tuning), and one op runs end to end (2 trials). No timing
thresholds: the figures themselves are what the bench is for."""

from __future__ import annotations

import json

import pytest

from raytune_ms import workloads

pytest.importorskip("torch")


@pytest.fixture(scope="module")
def bench(load_bench):
    return load_bench("suite_vs_torch")


def test_every_suite_op_has_a_torch_implementation(bench):
    assert set(bench.TORCH) == set(workloads.names())


@pytest.mark.parametrize("name", workloads.names())
def test_torch_implementation_matches_the_numpy_reference(name, bench):
    bench.check_torch(name, "small", seed=3)


def test_a_wrong_torch_implementation_fails_loudly(monkeypatch, bench):
    import torch

    monkeypatch.setitem(bench.TORCH, "SFM", lambda cfg, a: (lambda a: torch.softmax(a, dim=0)))
    with pytest.raises(AssertionError, match="SFM"):
        bench.check_torch("SFM", "small")


def test_cpu_info_is_a_json_line(bench):
    info = json.loads(json.dumps(bench.cpu_info()))
    assert set(info) >= {"cpu", "avx512"}


def test_one_op_end_to_end(capsys, bench):
    bench.main(["--size", "small", "--trials", "2", "--workloads", "SFM", "--rounds", "2", "--calls", "1"])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert "cpu" in lines[0] and len(lines) == 2
    row = lines[1]
    assert set(row) == {"op", "size", "trials", "ours_ms", "torch_ms", "speed", "unscheduled_ms", "correct",
                        "tune_wall_s"}
    assert row["op"] == "SFM" and row["size"] == "small" and row["trials"] == 2 and row["correct"] is True
    assert row["ours_ms"] > 0 and row["torch_ms"] > 0 and row["unscheduled_ms"] > 0
    assert row["speed"] == pytest.approx(row["torch_ms"] / row["ours_ms"], rel=0.01)


def test_unknown_workload_fails_before_tuning(bench):
    with pytest.raises(KeyError, match="NOPE"):
        bench.main(["--workloads", "NOPE", "--trials", "2"])
