"""Re-measuring the best records with real gcc and the local builder/runner: through tune_tir
(remeasure_top_k) and `raytune-ms db remeasure`; the originals stay, each re-measurement has
rounds x repeats readings of the same trace, and the re-measured times rank."""

import argparse

import pytest

import raytune_ms as ms
from raytune_ms.builder import LocalBuilder
from raytune_ms.database import cli
from raytune_ms.remeasure import REMEASURE_CONFIG, ROUNDS, remeasure_best
from raytune_ms.runner import EvaluatorConfig, LocalRunner

FAST = EvaluatorConfig(number=2, repeat=1, min_repeat_ms=5)


def _check(db, wl, k, readings):
    records = db.get_all_tuning_records()
    again = [r for r in records if r.is_remeasurement]
    originals = [r for r in records if not r.is_remeasurement]
    assert len(again) == k and all(r.is_valid() and len(r.run_secs) == readings for r in again)
    assert {r.trace_text() for r in again} <= {r.trace_text() for r in originals}
    top = db.get_top_k(db.commit_workload(wl.func), 8, target="llvm")
    assert {r.trace_text() for r in again} <= {r.trace_text() for r in top}
    assert not any(r.trace_text() == a.trace_text() and not r.is_remeasurement for r in top for a in again)
    return originals, again


def test_tune_tir_remeasures_the_top_k(tmp_path):
    wl = ms.workloads.get("GMM", "small")
    db = ms.tune_tir(wl.func, "llvm", str(tmp_path), 6, num_trials_per_iter=6,
                     builder=LocalBuilder(max_workers=2), runner=LocalRunner(evaluator_config=FAST),
                     database="parquet", strategy="replay-trace", cost_model="random", seed=3, remeasure_top_k=2)
    originals, _ = _check(db, wl, 2, ROUNDS * FAST.repeat)
    assert len(originals) == 6
    log = (tmp_path / "logs" / "tune.log").read_text()
    assert "re-measured the 2 best of 'main' (3 rounds)" in log

    # the CLI on the same store, with the kind-name pools (REMEASURE_CONFIG), two rounds
    first = db.get_top_k(db.commit_workload(wl.func), 1)[0]
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["db", "remeasure", str(tmp_path / "database"), "--top-k", "1", "--rounds", "2"])
    assert args.func(args) == 0
    db = ms.database.create("parquet", str(tmp_path / "database"))
    again = sorted((r for r in db.get_all_tuning_records() if r.is_remeasurement), key=lambda r: r.time)
    assert len(again) == 3 and len(again[-1].run_secs) == 2 * REMEASURE_CONFIG.repeat
    assert again[-1].trace_text() == first.trace_text()
    ranked = db.get_top_k(db.commit_workload(wl.func), 8)
    assert [r.record_id for r in ranked if r.trace_text() == first.trace_text()] == [again[-1].record_id]


def test_bad_arguments_and_mixed_targets(tmp_path):
    db = ms.database.create("memory")
    with pytest.raises(ValueError, match="top_k must be >= 1"):
        remeasure_best(db, 0)
    assert remeasure_best(db, 2) == []  # nothing to re-measure
    wl = db.commit_workload(ms.workloads.get("GMM", "small").func)
    for target in ("llvm", "llvm -num-cores=1"):
        db.commit_tuning_record(ms.database.TuningRecord([[], []], wl, [1e-3], target, None))
    with pytest.raises(ValueError, match="2 targets"):
        remeasure_best(db, 2)
