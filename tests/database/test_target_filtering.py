"""Queries answer per target: a store holding records from several machines never answers
with another machine's schedule (the reference's merged stores did)."""

import pytest

from raytune_ms.database import Database, MemoryDatabase, OrderedUnionDatabase, UnionDatabase
from raytune_ms.target import Target

ZEN = "llvm -mcpu=znver4 -num-cores=2"
SKX = "llvm -mcpu=skylake-avx512 -num-cores=8"
GPU = "cuda -arch=sm_80"


@pytest.mark.parametrize("kind", ["memory", "json", "parquet"])
def test_query_returns_only_the_targets_records(kind, open_db, scale, make_record):
    db = open_db(kind)
    wl = db.commit_workload(scale)
    db.commit_tuning_record(make_record(wl, 3.0, target=ZEN))
    db.commit_tuning_record(make_record(wl, 1.0, target=Target(SKX)))
    db.commit_tuning_record(make_record(wl, 2.0, target=ZEN))
    db.commit_tuning_record(make_record(wl, 0.5, target=GPU, error="launch failed"))
    if kind != "memory":
        db = open_db(kind)
        wl = db.commit_workload(scale)
    assert db.query(scale, ZEN, kind="record").run_secs == [2.0]
    assert db.query(scale, Target(ZEN), kind="record").run_secs == [2.0]
    assert db.query(scale, "llvm -num-cores=2 -mcpu=znver4", kind="record").run_secs == [2.0]
    assert db.query(scale, SKX, kind="record").run_secs == [1.0]
    assert db.query(scale, GPU, kind="record") is None  # only an errored record there
    assert db.query(scale, "llvm -mcpu=znver4 -num-cores=4", kind="record") is None
    assert db.query(scale, None, kind="record").run_secs == [1.0]  # None: any target
    assert [r.run_secs[0] for r in db.get_top_k(wl, 5, target=ZEN)] == [2.0, 3.0]
    assert len(db.get_top_k(wl, 5)) == 3
    best = db.query_tuning_record(scale, SKX)
    assert best.target == Target(SKX) and best.target_key == str(Target(SKX))


def test_merged_stores_answer_per_target(scale, make_record):
    zen_db, skx_db = MemoryDatabase(), MemoryDatabase()
    zen_db.commit_tuning_record(make_record(zen_db.commit_workload(scale), 5.0, target=ZEN))
    skx_db.commit_tuning_record(make_record(skx_db.commit_workload(scale), 1.0, target=SKX))
    for merged in (UnionDatabase(skx_db, zen_db), OrderedUnionDatabase(skx_db, zen_db)):
        assert merged.query(scale, ZEN, kind="record").run_secs == [5.0]
        assert merged.query(scale, SKX, kind="record").run_secs == [1.0]
        assert [r.run_secs for r in merged.get_top_k(Database.create("memory").commit_workload(scale), 3,
                                                     target=ZEN)] == [[5.0]]
    pruned = MemoryDatabase()
    UnionDatabase(zen_db, skx_db).dump_pruned(pruned)  # best per (workload, target)
    assert sorted(r.run_secs[0] for r in pruned.get_all_tuning_records()) == [1.0, 5.0]

