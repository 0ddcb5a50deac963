"""bench/search_compare.py and bench/post_optimization.py at tiny sizes (GMM small, a few
trials, local builder and runner), so they cannot rot: the JSON lines, the best-so-far curves,
the resume check's log lines, the plotting step's PNG and table. No timing thresholds."""

from __future__ import annotations

import json
import pathlib

import pytest


def _lines(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_strategy_names(load_bench):
    bench = load_bench("search_compare")
    assert bench.strategy_parts("replay-random") == ("replay-trace", "random")
    kind, model = bench.strategy_parts("evo-xgb-w8")
    assert kind == "evolutionary" and model.num_warmup_samples == 8
    assert bench.strategy_parts("evo-xgb")[1].num_warmup_samples == 100
    with pytest.raises(SystemExit, match="unknown strategy"):
        bench.strategy_parts("evo-mlp")


def test_median_curve_runs_to_the_longest_run(load_bench):
    bench = load_bench("search_compare")
    curves = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0, 7.0, 9.0], [0.5, 1.0, 8.0, 8.0]]
    assert bench.median_curve(curves).tolist() == [2.0, 3.0, 7.5, 8.5]


@pytest.mark.slow
def test_compare_resume_and_plot(tmp_path, capsys, load_bench):
    bench = load_bench("search_compare")
    common = ["--ops", "GMM", "--size", "small", "--seeds", "1", "--pools", "local", "--population", "16"]
    bench.main([*common, "--trials", "4", "--strategies", "evo-xgb-w2,replay-random"])
    bench.main([*common, "--trials", "4", "--strategies", "evo-xgb-w2", "--resume-check"])
    runs = _lines(capsys.readouterr().out)
    compare = [r for r in runs if r.get("mode") == "compare"]
    assert {r["strategy"] for r in compare} == {"evo-xgb-w2", "replay-random"}
    for r in compare:
        assert r["avx512"] in (True, False) and r["cpu"]
        assert len(r["curve_gflops"]) == r["trials"] == 4
        assert r["curve_gflops"] == sorted(r["curve_gflops"]) and r["best_gflops"] > 0
    resume = {r["run"]: r for r in runs if r.get("mode") == "resume"}
    assert resume["resumed"]["trials"] == resume["whole"]["trials"] == 4
    assert any("cost model trained on 2 records" in line for line in resume["resumed"]["resume_log"])
    path = tmp_path / "runs.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in runs))
    bench.main(["--plot", str(path), "--out-dir", str(tmp_path), "--at", "2,4"])
    out = _lines(capsys.readouterr().out)
    pngs = [r["png"] for r in out if "png" in r]
    assert sorted(pathlib.Path(p).name for p in pngs) == ["search_compare_GMM.png", "search_resume_GMM.png"]
    table = [r for r in out if r.get("table") == "compare"]
    assert {r["strategy"] for r in table} == {"evo-xgb-w2", "replay-random"}
    assert all(r["median_at_4"] >= r["median_at_2"] > 0 for r in table)


@pytest.mark.slow
def test_post_optimization_bench(capsys, load_bench):
    bench = load_bench("post_optimization")
    assert bench.main(["--op", "GMM", "--size", "small", "--trials", "4", "--pools", "local"]) == 0
    (line,) = _lines(capsys.readouterr().out)
    assert line["post_trials"] == line["post_records"] >= 1
    assert line["gain"] >= 1.0 and line["stop_reason"]
