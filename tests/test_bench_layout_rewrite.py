"""bench/layout_rewrite.py at a tiny size: every kernel it times is checked against numpy inside
the bench, and it prints its JSON lines. No timing thresholds."""

from __future__ import annotations

import json


def test_bench_runs_at_a_tiny_size(capsys, load_bench):
    bench = load_bench("layout_rewrite")
    bench.main(["--n", "64", "--replays", "1", "--rounds", "1"])
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert "avx512" in lines[0] and "cpu" in lines[0]
    variants = [x["variant"] for x in lines if x.get("part") == "handwritten"]
    assert variants == ["packed at run time", "unpacked", "unpacked + RewriteLayout"]
    assert [x for x in lines if x.get("part") == "handwritten"][-1]["rewritten"]
    assert lines[-1]["part"] == "space" and lines[-1]["drawn"] >= lines[-1]["compared"]
