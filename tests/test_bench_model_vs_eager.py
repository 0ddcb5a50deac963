"""bench/model_vs_eager.py: each task's torch counterpart (its anchor aten op) reads the values the
compiled model holds and, where the task is that op alone, computes what our kernel computes;
the whole bench runs on the tiny BERT layer with one trial per task. No timing thresholds."""

from __future__ import annotations

import importlib.util
import json
import pathlib
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

_PATH = pathlib.Path(__file__).resolve().parents[1] / "bench" / "model_vs_eager.py"


def _bench():
    spec = importlib.util.spec_from_file_location("model_vs_eager", _PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


bench = _bench()


def test_anchor_ops_match_our_kernels_where_the_task_is_the_op_alone():
    from raytune_ms.compiled_model import compile_model
    from raytune_ms.database import MemoryDatabase

    factory, shape = bench._models()["tiny-bert"]
    model = factory().eval()
    x = torch.randn(*shape, generator=torch.Generator().manual_seed(0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # every task unscheduled: compile_model says so
        compiled = compile_model(MemoryDatabase(), model, (x,), "llvm")
    compiled(x)
    calls = bench.anchor_torch_calls(model, (x,), compiled.lowered, set(compiled._env))
    fns = {fn.name: fn for fn in compiled.lowered.functions}
    assert set(calls) == set(fns)
    alone = 0
    for name, call in calls.items():
        if call is None:
            continue
        (out,) = call(compiled._env)  # reads only values the compiled model holds
        if fns[name].ops == [fns[name].op]:
            alone += 1
            np.testing.assert_allclose(out, compiled._env[fns[name].outputs[0]], rtol=1e-4, atol=1e-5)
    assert alone >= 2  # the softmax and the layer norms
    assert sum(c is not None for c in calls.values()) >= 8


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
