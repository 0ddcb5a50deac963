"""The add-to-database callback writes the Parquet store once per batch, not once per record:
a run leaves a few files, every record reaches the disk by the end, and records are on disk as
soon as a batch's worth is pending (a crash loses less than a batch)."""

import os

import raytune_ms as ms
from raytune_ms import spaces
from raytune_ms.builder import LocalBuilder
from raytune_ms.database import Database
from raytune_ms.runner import EvaluatorConfig, LocalRunner

FAST = EvaluatorConfig(number=1, repeat=1, min_repeat_ms=1)


def _files(path):
    return [n for n in os.listdir(os.path.join(path, "records")) if not n.startswith(".")]


def _on_disk(path):
    return len(Database.create("parquet", path))  # a fresh reader sees what is on disk


def test_a_run_writes_a_part_per_batch_and_every_record(tmp_path):
    wl = ms.workloads.get("GMM", "small")
    store = str(tmp_path / "store")
    db = Database.create("parquet", store)  # flush_every=1: a file per commit on its own
    assert db.flush_every == 1
    batches = []

    def on_progress(snapshot):
        batches.append((snapshot["trials_done"], _on_disk(store)))

    ms.tune_tir(wl.func, "llvm", str(tmp_path / "run"), 12, num_trials_per_iter=4, database=db,
                builder=LocalBuilder(max_workers=2), runner=LocalRunner(evaluator_config=FAST),
                space=spaces.matmul_space, seed=5, progress_callback=on_progress, strategy="replay-trace",
                cost_model="random")
    assert db.flush_every == 1  # the caller's setting is left as it was
    assert 1 <= len(_files(store)) <= 12 // 4 + 1
    fresh = Database.create("parquet", store)
    assert len(fresh.get_all_tuning_records()) == 12
    # results arrive in groups of any size; a batch's worth pending is written at once, so
    # fewer than a batch (4) of the arrived records are ever only in memory
    for done, stored in batches:
        assert stored > done - 4, batches
