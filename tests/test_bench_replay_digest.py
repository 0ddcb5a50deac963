"""bench/replay_digest.py at a tiny size (one small workload, one seed), so it cannot rot: one
JSON line per workload and the total, and the same digest twice in a row (it is deterministic,
so two versions of the code can be compared by it); its pinned target reads nothing of the
host, so two machines can compare digests too."""

from __future__ import annotations

import json
import sys


def test_replay_digest_is_deterministic(capsys, monkeypatch, load_bench):
    bench = load_bench("replay_digest")
    monkeypatch.setattr(sys, "argv", ["replay_digest.py", "--seeds", "1", "--workloads", "GMM"])
    bench.main()
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [d["workload"] for d in lines] == ["GMM", "all"] and lines[0]["size"] == "small"
    assert bench.workload_digest("GMM", "small", 1)[:16] == lines[0]["digest"]


def test_replay_digest_does_not_read_the_host(monkeypatch, load_bench):
    from raytune_ms import target

    bench = load_bench("replay_digest")
    expected = bench.workload_digest("GMM", "small", 1)

    def no_host():
        raise AssertionError("the digest's target read the host")

    monkeypatch.setattr(target, "host_mcpu", no_host)
    monkeypatch.setattr(target, "host_num_cores", no_host)
    assert bench.workload_digest("GMM", "small", 1) == expected
