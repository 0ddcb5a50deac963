"""Several writers on one parquet store at once (processes, Ray tasks), and compaction while a
writer runs: every record committed is read back exactly once."""

import multiprocessing as mp
import os
import time

import pytest

from raytune_ms import te
from raytune_ms.database import TuningRecord
from raytune_ms.database.parquet_database import ParquetDatabase


def _func():
    a = te.placeholder((16,), name="A")
    return te.create_prim_func([a, te.compute((16,), lambda i: a[i] * 3.0, name="B")])


def write_records(path, writer, count, flush_every, log_rows=4096, pause_s=0.0):
    """Commit `count` records tagged (writer, i); run in another process."""
    db = ParquetDatabase(path, flush_every=flush_every, log_rows=log_rows, merge_fanout=4)
    wl = db.commit_workload(_func())
    for i in range(count):
        db.commit_tuning_record(TuningRecord([[], []], wl, [1.0 + i], None, task_name=f"w{writer}", node=str(i)))
        time.sleep(pause_s)
    db.close()
    return count


def _tags(path):
    return [(r.task_name, r.node) for r in ParquetDatabase(path).get_all_tuning_records()]


def _expected(writers, count):
    return sorted((f"w{w}", str(i)) for w in range(writers) for i in range(count))


def test_concurrent_process_writers(tmp_path):
    """One process per writer, each ending on its own (a Pool's terminate SIGTERMs its idle
    workers: once in CI one of them did not die and the test hung for its 600 s timeout; a
    writer that does not finish is named here instead)."""
    path = str(tmp_path / "db")
    writers, count = 4, 60
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=write_records, args=(path, w, count, 1 + w * 3))  # flush every 1, 4, 7, 10
             for w in range(writers)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=180)
    hung = [proc.pid for proc in procs if proc.is_alive()]
    for proc in procs:
        if proc.is_alive():
            proc.kill()
    assert not hung, f"writer processes {hung} did not finish within 180 s"
    assert [proc.exitcode for proc in procs] == [0] * writers
    assert sorted(_tags(path)) == _expected(writers, count)
    workloads = ParquetDatabase(path).workloads()
    assert len(workloads) == 1  # every writer committed it; readers merge the copies


def compact_until(path, stop_file):
    """Compact in a loop until `stop_file` exists; run in another process."""
    db = ParquetDatabase(path)
    while not os.path.exists(stop_file):
        db.compact()


def test_compaction_while_a_writer_runs(tmp_path):
    """Two compactors (this process and another) race with a writer and with each other."""
    path = str(tmp_path / "db")
    stop_file = str(tmp_path / "stop")
    count = 300
    ctx = mp.get_context("spawn")
    # logs folded into parts every 8 records, parts merged by fours: the writer's own merges
    # race with the compactors too
    writer = ctx.Process(target=write_records, args=(path, 0, count, 2, 8, 0.003))
    other = ctx.Process(target=compact_until, args=(path, stop_file))
    other.start()
    writer.start()
    compactor = ParquetDatabase(path)
    reader = ParquetDatabase(path)
    seen = []
    while writer.is_alive():
        compactor.compact()
        seen.append(len(reader))  # a reader racing with the deletions must not fail or double count
    writer.join()
    open(stop_file, "w").close()
    other.join()
    assert writer.exitcode == 0 and other.exitcode == 0
    assert any(0 < n < count for n in seen), "the compactions did not overlap the writes"
    assert seen == sorted(seen)
    assert sorted(_tags(path)) == _expected(1, count)
    assert sorted((r.task_name, r.node) for r in reader.get_all_tuning_records()) == _expected(1, count)
    compactor.compact()
    assert len(os.listdir(os.path.join(path, "records"))) == 1
    assert sorted(_tags(path)) == _expected(1, count)


@pytest.mark.slow
def test_concurrent_ray_task_writers(tmp_path):
    ray = pytest.importorskip("ray")
    path = str(tmp_path / "db")
    started_here = not ray.is_initialized()  # another test module may have left a session up
    if started_here:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        db = ParquetDatabase(path)  # shipped to the tasks by pickle: each reopens as a new writer

        @ray.remote
        def write(db, writer, count):
            from raytune_ms import te  # the task must not need this test module on the worker

            a = te.placeholder((16,), name="A")
            wl = db.commit_workload(te.create_prim_func([a, te.compute((16,), lambda i: a[i] * 3.0, name="B")]))
            for i in range(count):
                db.commit_tuning_record(TuningRecord([[], []], wl, [1.0], task_name=f"w{writer}", node=str(i)))
            db.close()
            return count

        assert ray.get([write.remote(db, w, 40) for w in range(4)]) == [40] * 4
    finally:
        if started_here:
            ray.shutdown()
    assert sorted(_tags(path)) == _expected(4, 40)
