"""Union (best across members) and ordered union (first member that answers), as in the
reference's five cases."""

import pytest

from raytune_ms.database import MemoryDatabase, OrderedUnionDatabase, UnionDatabase


@pytest.fixture
def dbs(scale, make_record):
    """db1, db2 empty; db3..db5 hold one record each: 3 s, 1 s, 2 s."""
    out = [MemoryDatabase(), MemoryDatabase()]
    for secs in (3.0, 1.0, 2.0):
        db = MemoryDatabase()
        db.commit_tuning_record(make_record(db.commit_workload(scale), secs, task_name=f"{secs}"))
        out.append(db)
    return out


def _best(db, func):
    rec = db.query_tuning_record(func, None)
    return None if rec is None else rec.run_secs[0]


def test_reference_cases(dbs, scale):
    db1, db2, db3, db4, db5 = dbs
    assert _best(UnionDatabase(db1, db2, db3, db4), scale) == 1.0  # case 1
    assert _best(OrderedUnionDatabase(db1, db2, db3, db4), scale) == 3.0  # case 2
    assert _best(UnionDatabase(db1, db2, db3, OrderedUnionDatabase(db4, db5)), scale) == 1.0  # case 3
    assert _best(UnionDatabase(db1, db2, db3, UnionDatabase(db4, db5)), scale) == 1.0  # case 4
    assert _best(OrderedUnionDatabase(db1, db2, UnionDatabase(db3, db4), db5), scale) == 1.0  # case 5
    assert _best(OrderedUnionDatabase(db1, db2, db3, UnionDatabase(db4)), scale) == 3.0
    assert _best(UnionDatabase(db1, db2), scale) is None


def test_top_k_all_and_len(dbs, scale):
    db1, db2, db3, db4, db5 = dbs
    union = UnionDatabase(db1, db3, db4, db5)
    wl = db3.commit_workload(scale)
    assert [r.run_secs[0] for r in union.get_top_k(wl, 2)] == [1.0, 2.0]
    assert [r.run_secs[0] for r in OrderedUnionDatabase(db1, db5, db4).get_top_k(wl, 5)] == [2.0]
    assert len(union) == 3 and len(union.get_all_tuning_records()) == 3
    assert union.has_workload(scale) and not UnionDatabase(db1).has_workload(scale)


def test_unions_are_read_only(dbs, scale, make_record):
    union = UnionDatabase(*dbs)
    with pytest.raises(NotImplementedError, match="read-only"):
        union.commit_workload(scale)
    with pytest.raises(NotImplementedError, match="read-only"):
        OrderedUnionDatabase(*dbs).commit_tuning_record(make_record(dbs[2].commit_workload(scale), 1.0))


def test_dump_pruned_merges_stores(dbs, scale):
    merged = MemoryDatabase()
    UnionDatabase(*dbs).dump_pruned(merged)
    assert [r.run_secs for r in merged.get_all_tuning_records()] == [[1.0]]
