"""bench/prepack.py at a tiny size: both kernels it times are checked against numpy inside the
bench, the weight is pre-packed, and it prints its JSON lines. No timing thresholds."""

from __future__ import annotations

import json


def test_bench_runs_at_a_tiny_size(capsys, load_bench):
    bench = load_bench("prepack")
    bench.main(["--shapes", "32x64x96", "--replays", "1", "--candidates", "1", "--rounds", "1"])
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert "avx512" in lines[0] and "cpu" in lines[0]
    (row,) = [x for x in lines if "replay" in x]
    assert row["prepacked"] and row["strided_loads"] == 0 and row["ms_torch"] > 0
    assert lines[-1]["compared"] == 1
    bench.main(["--shapes", "32x64x96", "--replays", "1", "--candidates", "1", "--rounds", "1", "--tuned-trials", "2"])
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines() if '"replay"' in x]
    assert all(r["source"] == "tuned" and r["prepacked"] for r in rows)
