"""bench/layout_rewrite.py at a tiny size: every kernel it times is checked against numpy inside
the bench, and it prints its JSON lines. No timing thresholds."""

from __future__ import annotations

import importlib.util
import json
import pathlib

_PATH = pathlib.Path(__file__).resolve().parents[1] / "bench" / "layout_rewrite.py"


def test_bench_runs_at_a_tiny_size(capsys):
    spec = importlib.util.spec_from_file_location("layout_rewrite", _PATH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.main(["--n", "64", "--replays", "1", "--rounds", "1"])
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert "avx512" in lines[0] and "cpu" in lines[0]
    variants = [x["variant"] for x in lines if x.get("part") == "handwritten"]
    assert variants == ["packed at run time", "unpacked", "unpacked + RewriteLayout"]
    assert [x for x in lines if x.get("part") == "handwritten"][-1]["rewritten"]
    assert lines[-1]["part"] == "space" and lines[-1]["drawn"] >= lines[-1]["compared"]
