"""The parquet store never loses or invents a record when files fail: compaction over a
truncated part and over a part that fails to read once, a poisoned trace, readers retrying,
a corrupt workload part, torn log lines, SIGTERM and kill -9 of a writer."""

import logging
import os
import signal
import subprocess
import sys
import textwrap

import pyarrow.fs as pafs

from raytune_ms import build, tir_integration
from raytune_ms.database import TuningRecord
from raytune_ms.database.parquet_database import ParquetDatabase
from raytune_ms.schedule import Schedule
from raytune_ms.search_strategy.measured_traces import MeasuredTraces

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class FailOnce(pafs.FileSystemHandler):
    """The local filesystem, except that opening a path containing `fragment` fails once
    (a transient object-store error)."""

    def __init__(self, fragment):
        self.fs, self.fragment, self.failed = pafs.LocalFileSystem(), fragment, 0

    def _maybe_fail(self, path):
        if self.fragment in path and not self.failed:
            self.failed += 1
            raise OSError(f"transient read error on {path}")

    def open_input_file(self, path):
        self._maybe_fail(path)
        return self.fs.open_input_file(path)

    def open_input_stream(self, path):
        self._maybe_fail(path)
        return self.fs.open_input_stream(path)

    def get_type_name(self):
        return "failonce"

    def equals(self, other):
        return self is other

    def normalize_path(self, path):
        return path

    def get_file_info(self, paths):
        return self.fs.get_file_info(paths)

    def get_file_info_selector(self, selector):
        return self.fs.get_file_info(selector)

    def create_dir(self, path, recursive):
        self.fs.create_dir(path, recursive=recursive)

    def delete_dir(self, path):
        self.fs.delete_dir(path)

    def delete_dir_contents(self, path, missing_dir_ok=False):
        self.fs.delete_dir_contents(path, missing_dir_ok=missing_dir_ok)

    def delete_root_dir_contents(self):
        raise OSError("not supported")

    def delete_file(self, path):
        self.fs.delete_file(path)

    def move(self, src, dest):
        self.fs.move(src, dest)

    def copy_file(self, src, dest):
        self.fs.copy_file(src, dest)

    def open_output_stream(self, path, metadata):
        return self.fs.open_output_stream(path)

    def open_append_stream(self, path, metadata):
        return self.fs.open_append_stream(path)


def _store(path, make_func, records=100, log_rows=10):
    """`records` records in parts of `log_rows` (as that many short runs leave them)."""
    db = ParquetDatabase(path, log_rows=log_rows, merge_fanout=0)
    wl = db.commit_workload(make_func())
    for i in range(records):
        db.commit_tuning_record(TuningRecord([[], []], wl, [1.0 + i], None, node=str(i)))
    db.close()
    return sorted(n for n in os.listdir(os.path.join(path, "records")) if n.startswith("part-"))


def test_compaction_leaves_a_truncated_part(tmp_path, make_func, caplog):
    path = str(tmp_path / "db")
    parts = _store(path, make_func)
    victim = os.path.join(path, "records", parts[3])
    data = open(victim, "rb").read()
    open(victim, "wb").write(data[: len(data) // 2])
    stats = ParquetDatabase(path).compact()
    assert stats["records"] == {"parts_merged": 9, "rows": 90, "unreadable": [parts[3]]}
    assert "compaction leaves unreadable part" in caplog.text and parts[3] in caplog.text
    assert os.path.exists(victim)  # left in place, not deleted
    open(victim, "wb").write(data)  # repaired (e.g. restored from a copy): nothing was lost
    assert len(ParquetDatabase(path)) == 100


def test_compaction_over_a_read_that_fails_once_keeps_all_rows(tmp_path, make_func):
    path = str(tmp_path / "db")
    parts = _store(path, make_func)
    flaky = pafs.PyFileSystem(FailOnce(parts[5]))
    stats = ParquetDatabase(path, filesystem=flaky).compact()
    assert stats["records"]["unreadable"] == [parts[5]] and stats["records"]["rows"] == 90
    assert len(ParquetDatabase(path)) == 100
    assert ParquetDatabase(path).compact()["records"] == {"parts_merged": 2, "rows": 100}


def test_reader_retries_a_failed_part_on_reload(tmp_path, make_func, caplog):
    path = str(tmp_path / "db")
    parts = _store(path, make_func)
    reader = ParquetDatabase(path, filesystem=pafs.PyFileSystem(FailOnce(parts[0])))
    assert len(reader) == 90
    assert caplog.text.count("skipping unreadable part") == 1 and parts[0] in caplog.text
    assert len(reader) == 90  # not retried on every read: that would hammer a bad file
    reader.reload()
    assert len(reader) == 100


def test_corrupt_workload_part_hides_only_its_records(tmp_path, make_func, caplog):
    path = str(tmp_path / "db")
    db = ParquetDatabase(path)
    for n in (4, 8):
        wl = db.commit_workload(make_func(n=n))
        for i in range(50):
            db.commit_tuning_record(TuningRecord([[], []], wl, [1.0 + i], None))
    db.close()
    wdir = os.path.join(path, "workloads")
    first = sorted(os.listdir(wdir), key=lambda n: os.path.getmtime(os.path.join(wdir, n)))[0]
    open(os.path.join(wdir, first), "wb").write(b"PAR1 garbage")
    reader = ParquetDatabase(path)
    assert len(reader) == 50
    assert reader.query_tuning_record(make_func(n=8), None).run_secs == [1.0]
    assert f"workloads/{first}" in caplog.text and "50 records of workload" in caplog.text


def _tiled(func, seed):
    sch = Schedule(func, seed=seed)
    i, j = sch.get_loops(sch.get_block("B"))
    _, j1 = sch.split(j, sch.sample_perfect_tile(j, 2))
    sch.vectorize(j1)
    return sch


def test_poisoned_trace_is_skipped_and_the_workload_still_compiles(tmp_path, make_func, caplog):
    path = str(tmp_path / "db")
    func = make_func(n=16)
    db = ParquetDatabase(path)
    wl = db.commit_workload(func)
    good = _tiled(func, 3)
    db.commit_tuning_record(TuningRecord(good.trace, wl, [2e-3], "llvm"))
    db.commit_tuning_record(TuningRecord('[[["Split", ["l0"]', wl, [1e-3], "llvm", record_id="poisoned"))
    db.close()
    for reader in (db, ParquetDatabase(path)):  # the writer's own index, and a fresh one
        caplog.clear()
        best = reader.query_tuning_record(func, "llvm")
        assert best.run_secs == [2e-3]
        assert reader.get_top_k(wl, 5) == [best] or [r.record_id for r in reader.get_top_k(wl, 5)] == [best.record_id]
        assert caplog.text.count("skipping record poisoned") == 1 and ".parquet" in caplog.text
        sch = tir_integration.compile_tir(reader, func, "llvm")
        assert sch.trace.as_json() == good.trace.as_json()
        build(sch.mod, target="llvm")
    caplog.clear()
    assert len(MeasuredTraces(ParquetDatabase(path), func, "llvm")) == 1
    assert "skipping record poisoned" in caplog.text  # a resumed run reads past it


def test_log_with_a_torn_last_line_and_a_bad_line(tmp_path, make_func, caplog):
    path = str(tmp_path / "db")
    db = ParquetDatabase(path)
    wl = db.commit_workload(make_func())
    for i in range(3):
        db.commit_tuning_record(TuningRecord([[], []], wl, [1.0 + i], None))
    (log,) = [n for n in os.listdir(os.path.join(path, "records")) if n.startswith("_log-")]
    with open(os.path.join(path, "records", log), "ab") as f:
        f.write(b"{not json}\n")  # a damaged line
        f.write(b'["half a rec')  # a line being written (or torn by kill -9)
    reader = ParquetDatabase(path)
    assert len(reader) == 3
    assert f"{log}:4: skipping a malformed record line" in caplog.text
    with open(os.path.join(path, "records", log), "ab") as f:
        f.write(b'ord"]\n')  # the writer finished the line: still not a record, skipped, named
    assert len(reader) == 3 and f"{log}:5:" in caplog.text


def _child(path, flush_every, body, before=""):
    code = textwrap.dedent(before) + textwrap.dedent(f"""
        import sys, time
        from raytune_ms import te
        from raytune_ms.database import ParquetDatabase, TuningRecord
        a = te.placeholder((4,), name="A")
        f = te.create_prim_func([a, te.compute((4,), lambda i: a[i] + 1.0, name="B")])
        db = ParquetDatabase({path!r}, flush_every={flush_every})
        wl = db.commit_workload(f)
    """) + textwrap.dedent(body)
    env = dict(os.environ, PYTHONPATH=REPO)
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)


def test_sigterm_writes_the_buffer(tmp_path):
    path = str(tmp_path / "db")
    proc = _child(path, 64, """
        for i in range(40):
            db.commit_tuning_record(TuningRecord([[], []], wl, [1.0 + i]))
        print("committed", flush=True)
        time.sleep(60)
    """)
    assert proc.stdout.readline().strip() == "committed"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == -signal.SIGTERM  # still dies of the signal
    assert len(ParquetDatabase(path)) == 40


def test_kill9_keeps_every_acknowledged_commit(tmp_path):
    path = str(tmp_path / "db")
    proc = _child(path, 1, """
        for i in range(100000):
            db.commit_tuning_record(TuningRecord([[], []], wl, [1.0 + i], node=str(i)))
            print(i, flush=True)
    """)
    acked = [int(proc.stdout.readline()) for _ in range(300)]
    proc.kill()
    proc.wait(timeout=30)
    stored = {int(r.node) for r in ParquetDatabase(path).get_all_tuning_records()}
    assert set(acked) <= stored
    stats = ParquetDatabase(path).compact()  # the dead writer's log is merged and removed
    assert stats["records"]["rows"] == len(stored)
    assert not [n for n in os.listdir(os.path.join(path, "records")) if n.startswith("_log-")]


def test_warnings_name_the_store(tmp_path, make_func, caplog):
    caplog.set_level(logging.WARNING)
    path = str(tmp_path / "db")
    _store(path, make_func, records=4, log_rows=2)
    with open(os.path.join(path, "records", "part-bad.parquet"), "wb") as f:
        f.write(b"not parquet")
    assert len(ParquetDatabase(path)) == 4
    assert f"{path}: skipping unreadable part records/part-bad.parquet" in caplog.text


class NoAppends(FailOnce):
    """A filesystem that cannot append (as object stores): each flush writes a part."""

    def __init__(self):
        super().__init__("never")

    def open_append_stream(self, path, metadata):
        raise NotImplementedError("no appends here")


def test_store_without_appends_writes_parts_and_merges_them(tmp_path, make_func):
    path = str(tmp_path / "db")
    db = ParquetDatabase(path, filesystem=pafs.PyFileSystem(NoAppends()), merge_fanout=4)
    wl = db.commit_workload(make_func())
    for i in range(40):
        db.commit_tuning_record(TuningRecord([[], []], wl, [1.0 + i], None, node=str(i)))
    db.close()
    names = os.listdir(os.path.join(path, "records"))
    assert not [n for n in names if n.startswith("_log-")] and len(names) < 40  # merged as it went
    back = ParquetDatabase(path)
    assert sorted(int(r.node) for r in back.get_all_tuning_records()) == list(range(40))
    assert back.query_tuning_record(make_func(), None).run_secs == [1.0]


def test_sigterm_chains_to_the_previous_handler(tmp_path):
    path = str(tmp_path / "db")
    proc = _child(path, 64, """
        db.commit_tuning_record(TuningRecord([[], []], wl, [1.0]))
        print("committed", flush=True)
        time.sleep(60)
    """, before="""
        import signal, sys
        signal.signal(signal.SIGTERM, lambda *a: sys.exit(7))  # e.g. a framework's clean stop
    """)
    assert proc.stdout.readline().strip() == "committed"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 7
    assert len(ParquetDatabase(path)) == 1
