"""`raytune-ms tune-model` on a small MLP with the local builder and runner: the summary's
task count, correctness against eager, both latencies."""

import json

import pytest

from raytune_ms.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::UserWarning")


def test_tune_model_cli(tmp_path, capsys):
    models = "raytune_ms.testing.torch_models"
    rc = main(["tune-model", "--model", f"{models}:mlp", "--input-shape", "4,32", "--trials", "3",
               "--num-trials-per-iter", "1", "--builder", "local", "--runner", "local", "--database", "memory",
               "--space", f"{models}:tiny_space", "--work-dir", str(tmp_path), "--seed", "7", "--json",
               "--no-progress", "--repeat", "2"])
    assert rc == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["tasks"] == 3 and summary["trials"] == 3 and summary["tuned"] >= 1
    assert summary["max_abs_err"] < 1e-4
    assert summary["compiled_ms"] > 0 and summary["eager_ms"] > 0
