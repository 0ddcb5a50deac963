"""bench/model_vs_eager.py runs on the tiny BERT layer with one trial per task, and refuses an
unknown model before tuning. No timing thresholds."""

from __future__ import annotations

import json
import pathlib
import runpy
import types

import pytest

torch = pytest.importorskip("torch")

# the bench as a namespace of its functions (run_name keeps its main() from running)
bench = types.SimpleNamespace(**runpy.run_path(
    str(pathlib.Path(__file__).resolve().parents[1] / "bench" / "model_vs_eager.py"), run_name="model_vs_eager"))


def test_unknown_model_fails_before_tuning():
    with pytest.raises(SystemExit, match="nope"):
        bench.main(["--models", "nope"])


@pytest.mark.slow
def test_tiny_bert_end_to_end(capsys):
    bench.main(["--models", "tiny-bert", "--trials-per-task", "1", "--rounds", "1", "--calls", "1"])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert set(lines[0]) >= {"cpu", "avx512"}
    tasks, total = lines[1:-1], lines[-1]
    assert len(tasks) == total["tasks"] == 9 and all(t["trials"] == 1 for t in tasks)
    assert sum(t["weight"] for t in tasks) == 11  # kernels: q/k/v and the two layer norms count twice
    assert all(t["ours_ms"] > 0 and t["how"] == "tuned" for t in tasks)
    assert sum(t["torch_ms"] is not None for t in tasks) >= 8
    assert total["max_abs_err"] < 1e-4 and total["ours_ms"] > 0 and total["eager_ms"] > 0
    assert total["speed"] == pytest.approx(total["eager_ms"] / total["ours_ms"], rel=0.01)
