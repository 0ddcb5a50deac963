"""The parquet store: round trips, reopen, incremental reload, flushing, compaction, export,
and reading the files with plain Arrow/pandas."""

import os
import pickle

import pyarrow.dataset as pads
import pyarrow.fs as pafs
import pytest

from raytune_ms.arg_info import ArgInfo
from raytune_ms.database import Database, JSONDatabase, TuningRecord
from raytune_ms.database.parquet_database import RECORD_SCHEMA, ParquetDatabase


def _parts(path, sub="records"):
    return sorted(n for n in os.listdir(os.path.join(path, sub)) if n.startswith("part-"))


def test_round_trip_and_reopen(tmp_path, scale, matmul, make_record):
    path = str(tmp_path / "db")
    db = Database.create("parquet", path)
    wl, wm = db.commit_workload(scale), db.commit_workload(matmul)
    rec = TuningRecord([[["Split", ["l0"], [], ["l1"]]], [[0, 4]]], wm, [2e-3, 4e-3], None,
                       ArgInfo.from_prim_func(matmul), task_name="mm", node="n1", time=100.25)
    db.commit_tuning_record(rec)
    db.commit_tuning_record(make_record(wl, None, error="timeout"))
    db.commit_tuning_record(make_record(wl, 1e-3))

    again = ParquetDatabase(path)
    assert len(again) == 3
    best = again.query_tuning_record(matmul, None)
    assert best.as_json()[:4] == rec.as_json()[:4]
    assert (best.task_name, best.node, best.time) == ("mm", "n1", 100.25)
    assert best.args_info == ArgInfo.from_prim_func(matmul)
    assert len(best.record_id) == 32
    errors = [r.error for r in again.get_all_tuning_records()]
    assert sorted(e or "" for e in errors) == ["", "", "timeout"]
    assert again.get_top_k(again.commit_workload(scale), 5)[0].run_secs == [1e-3]
    assert all(r.time is not None for r in again.get_all_tuning_records())  # filled at commit


def test_reader_picks_up_new_parts_incrementally(tmp_path, scale, make_record):
    path = str(tmp_path / "db")
    for log_rows in (1, 4096):  # a part per record, or all in the writer's log
        writer, reader = ParquetDatabase(path, log_rows=log_rows), ParquetDatabase(path)
        assert len(reader) == 2 * (log_rows > 1)
        wl = writer.commit_workload(scale)
        writer.commit_tuning_record(make_record(wl, 2.0))
        assert len(reader) == 1 + 2 * (log_rows > 1)
        writer.commit_tuning_record(make_record(wl, 1.0))
        assert reader.query_tuning_record(scale, None).run_secs == [1.0]
        if log_rows == 1:
            assert len(reader._seen["records"]) == 2  # each part read once
        else:
            assert list(reader._log_offsets.values())[-1][1] == 2  # the log's two lines, read in turn
        writer.close()


def test_reload_interval_throttles_listing(tmp_path, scale, make_record):
    path = str(tmp_path / "db")
    writer = ParquetDatabase(path)
    reader = ParquetDatabase(path, reload_interval_s=3600)
    assert len(reader) == 0
    writer.commit_tuning_record(make_record(writer.commit_workload(scale), 1.0))
    assert len(reader) == 0
    reader.reload()
    assert len(reader) == 1


def test_batched_flush(tmp_path, scale, make_record):
    path = str(tmp_path / "db")
    db = ParquetDatabase(path, flush_every=3, log_rows=1)
    wl = db.commit_workload(scale)
    for s in (1.0, 2.0):
        db.commit_tuning_record(make_record(wl, s))
    assert len(db) == 2 and _parts(path) == []  # visible here, not yet on disk
    db.commit_tuning_record(make_record(wl, 3.0))
    assert len(_parts(path)) == 1
    db.commit_tuning_record(make_record(wl, 4.0))
    with db:
        pass  # leaving the scope flushes
    assert len(_parts(path)) == 2 and len(ParquetDatabase(path)) == 4


def test_timed_flush(tmp_path, scale, make_record):
    import time

    path = str(tmp_path / "db")
    db = ParquetDatabase(path, flush_every=1000, flush_interval_s=0.05)
    db.commit_tuning_record(make_record(db.commit_workload(scale), 1.0))
    deadline = time.time() + 10
    while not _parts(path) and time.time() < deadline:
        time.sleep(0.02)
    assert len(ParquetDatabase(path)) == 1


def test_unflushed_records_are_written_at_exit(tmp_path):
    import subprocess
    import sys
    import textwrap

    path = str(tmp_path / "db")
    code = textwrap.dedent(f"""
        from raytune_ms import te
        from raytune_ms.database import ParquetDatabase, TuningRecord
        a = te.placeholder((4,), name="A")
        f = te.create_prim_func([a, te.compute((4,), lambda i: a[i] + 1.0, name="B")])
        db = ParquetDatabase({path!r}, flush_every=100)
        wl = db.commit_workload(f)
        for i in range(5):
            db.commit_tuning_record(TuningRecord([[], []], wl, [1.0 + i]))
    """)
    subprocess.run([sys.executable, "-c", code], check=True)
    assert len(ParquetDatabase(path)) == 5


def test_options_are_checked(tmp_path):
    with pytest.raises(ValueError, match="flush_every"):
        ParquetDatabase(str(tmp_path), flush_every=0)
    with pytest.raises(ValueError, match="flush_interval_s"):
        ParquetDatabase(str(tmp_path), flush_interval_s=0)


def test_arrow_and_pandas_read_the_store(tmp_path, scale, make_record):
    path = str(tmp_path / "db")
    db = ParquetDatabase(path, flush_every=2)
    wl = db.commit_workload(scale)
    for s in (3.0, 1.0, 2.0):
        db.commit_tuning_record(make_record(wl, s, target=None, task_name="scale"))
    db.close()
    table = pads.dataset(os.path.join(path, "records"), format="parquet").to_table()
    assert table.schema.equals(RECORD_SCHEMA)
    frame = table.to_pandas()
    assert sorted(frame["run_secs"].map(lambda v: v[0])) == [1.0, 2.0, 3.0]
    assert set(frame["workload"]) == {wl.shash} and set(frame["task_name"]) == {"scale"}
    pd = pytest.importorskip("pandas")
    assert len(pd.read_parquet(os.path.join(path, "records"))) == 3
    assert list(pd.read_parquet(os.path.join(path, "workloads"))["shash"]) == [wl.shash]


def test_uri_paths(tmp_path, scale, make_record):
    uri = f"file://{tmp_path}/db"
    db = ParquetDatabase(uri)
    db.commit_tuning_record(make_record(db.commit_workload(scale), 1.0))
    assert len(ParquetDatabase(str(tmp_path / "db"))) == 1
    sub = pafs.SubTreeFileSystem(str(tmp_path), pafs.LocalFileSystem())
    assert len(ParquetDatabase("db", filesystem=sub)) == 1


def test_compaction_merges_and_dedupes(tmp_path, scale, matmul, make_record):
    path = str(tmp_path / "db")
    db = ParquetDatabase(path, log_rows=1)
    for func in (scale, matmul):
        wl = db.commit_workload(func)
        for s in (1.0, 2.0, 3.0):
            db.commit_tuning_record(make_record(wl, s))
    other = ParquetDatabase(path)
    other.commit_workload(scale)  # known already: writes nothing
    assert len(_parts(path, "workloads")) == 2 and len(_parts(path)) == 6
    stats = db.compact()
    assert stats == {"workloads": {"parts_merged": 2, "rows": 2}, "records": {"parts_merged": 6, "rows": 6}}
    assert len(_parts(path)) == 1 and len(_parts(path, "workloads")) == 1
    assert len(db) == 6 and len(other) == 6 and len(ParquetDatabase(path)) == 6
    assert db.compact()["records"] == {"parts_merged": 0, "rows": 6}


def test_duplicate_parts_are_deduplicated_on_read(tmp_path, scale, make_record):
    """A part seen twice (a merged file next to the parts it merged) counts once."""
    path = str(tmp_path / "db")
    db = ParquetDatabase(path)
    db.commit_tuning_record(make_record(db.commit_workload(scale), 1.0))
    db.close()
    (part,) = _parts(path)
    src = os.path.join(path, "records", part)
    with open(src, "rb") as f, open(os.path.join(path, "records", "part-copy.parquet"), "wb") as g:
        g.write(f.read())
    assert len(ParquetDatabase(path)) == 1


def test_export_json(tmp_path, scale, matmul, make_record):
    path = str(tmp_path / "db")
    db = ParquetDatabase(path)
    db.commit_workload(matmul)  # a workload without records is exported too
    wl = db.commit_workload(scale)
    for s in (2.0, 1.0):
        db.commit_tuning_record(make_record(wl, s, task_name="scale"))
    db.export_json(str(tmp_path / "json"))
    back = JSONDatabase(work_dir=str(tmp_path / "json"))
    assert len(back) == 2 and back.has_workload(matmul)
    best = back.query_tuning_record(scale, None)
    assert best.run_secs == [1.0] and best.task_name == "scale"


def test_pickle_reopens_with_a_new_writer(tmp_path, scale, make_record):
    path = str(tmp_path / "db")
    db = ParquetDatabase(path, flush_every=7)
    db.commit_tuning_record(make_record(db.commit_workload(scale), 1.0))
    clone = pickle.loads(pickle.dumps(db))
    assert clone.writer_id != db.writer_id and clone.flush_every == 7
    clone.commit_tuning_record(make_record(clone.commit_workload(scale), 2.0))
    clone.flush()
    db.flush()
    assert len(ParquetDatabase(path)) == 2


def test_same_record_committed_twice_is_stored_twice(tmp_path, scale, make_record):
    db = ParquetDatabase(str(tmp_path / "db"))
    rec = make_record(db.commit_workload(scale), 1.0)
    db.commit_tuning_record(rec)
    db.commit_tuning_record(rec)
    assert rec.record_id is None  # the caller's record is not changed
    assert len(ParquetDatabase(str(tmp_path / "db"))) == 2


def test_fork_child_does_not_rewrite_parent_buffer(tmp_path, scale, make_record):
    import multiprocessing as mp

    path = str(tmp_path / "db")
    db = ParquetDatabase(path, flush_every=100)
    wl = db.commit_workload(scale)
    db.commit_tuning_record(make_record(wl, 1.0))
    proc = mp.get_context("fork").Process(target=_child_commits, args=(db, wl))
    proc.start()
    proc.join()
    assert proc.exitcode == 0
    db.flush()
    assert sorted(r.run_secs[0] for r in ParquetDatabase(path).get_all_tuning_records()) == [1.0, 2.0]


def _child_commits(db, wl):
    db.commit_tuning_record(TuningRecord([[], []], wl, [2.0]))
    db.flush()


def test_vanished_and_unreadable_parts(tmp_path, scale, make_record, caplog):
    path = str(tmp_path / "db")
    db = ParquetDatabase(path)
    db.commit_tuning_record(make_record(db.commit_workload(scale), 1.0))
    with open(os.path.join(path, "records", "part-bad.parquet"), "wb") as f:
        f.write(b"not parquet")
    reader = ParquetDatabase(path)
    assert len(reader) == 1
    assert "skipping unreadable part" in caplog.text and "part-bad.parquet" in caplog.text
    assert reader._try("records", "part-gone.parquet", reader._read_summary, False) == "gone"


def test_compaction_removes_stale_temporary_files(tmp_path, scale, make_record):
    path = str(tmp_path / "db")
    db = ParquetDatabase(path)
    db.commit_tuning_record(make_record(db.commit_workload(scale), 1.0))
    stale, fresh = (os.path.join(path, "records", f".tmp-{n}.parquet") for n in ("old", "new"))
    for name in (stale, fresh):
        open(name, "wb").close()
    os.utime(stale, (1, 1))
    db.compact()
    assert not os.path.exists(stale) and os.path.exists(fresh)
