"""bench/prepack.py at a tiny size: both kernels it times are checked against numpy inside the
bench, the weight is pre-packed, and it prints its JSON lines. No timing thresholds."""

from __future__ import annotations

import importlib.util
import json
import pathlib

_PATH = pathlib.Path(__file__).resolve().parents[1] / "bench" / "prepack.py"


def test_bench_runs_at_a_tiny_size(capsys):
    spec = importlib.util.spec_from_file_location("prepack", _PATH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.main(["--shapes", "32x64x96", "--replays", "1", "--candidates", "1", "--rounds", "1"])
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert "avx512" in lines[0] and "cpu" in lines[0]
    (row,) = [x for x in lines if "replay" in x]
    assert row["prepacked"] and row["strided_loads"] == 0 and row["ms_torch"] > 0
    assert lines[-1]["compared"] == 1
    bench.main(["--shapes", "32x64x96", "--replays", "1", "--candidates", "1", "--rounds", "1", "--tuned-trials", "2"])
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines() if '"replay"' in x]
    assert all(r["source"] == "tuned" and r["prepacked"] for r in rows)
