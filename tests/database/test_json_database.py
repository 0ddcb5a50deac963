"""The JSON database: the two-file JSON-lines format, appends, reopen."""

import json

import pytest

from raytune_ms import tir
from raytune_ms.arg_info import ArgInfo
from raytune_ms.database import JSONDatabase, TuningRecord


def _lines(path):
    return [json.loads(line) for line in open(path)]


def test_file_format_and_reopen(tmp_path, scale, matmul, make_record):
    db = JSONDatabase(work_dir=str(tmp_path))
    wl = db.commit_workload(scale)
    wm = db.commit_workload(matmul)
    db.commit_workload(scale)  # already there: no new line
    db.commit_tuning_record(TuningRecord([[["X", [], [], []]], []], wm, [2e-3], None,
                                         ArgInfo.from_prim_func(matmul), task_name="mm"))
    db.commit_tuning_record(make_record(wl, 1e-3))

    workloads = _lines(tmp_path / "database_workload.json")
    assert [w[0] for w in workloads] == [wl.shash, wm.shash]
    assert tir.structural_equal(tir.from_json(workloads[1][1]), tir.IRModule.from_any(matmul))
    records = _lines(tmp_path / "database_tuning_record.json")
    assert records[0][0] == 1 and records[1][0] == 0
    assert records[0][1][:4] == [[[["X", [], [], []]], []], [2e-3], None, [["TENSOR", "float32", [8, 8]]] * 3]
    assert records[0][1][4]["task_name"] == "mm"
    assert records[1][1] == [[[], []], [1e-3], None, None]  # the reference's 4 items without provenance

    again = JSONDatabase(str(tmp_path / "database_workload.json"), str(tmp_path / "database_tuning_record.json"))
    assert len(again) == 2
    assert again.has_workload(scale) and again.has_workload(matmul)
    best = again.query_tuning_record(matmul, None)
    assert best.run_secs == [2e-3] and best.task_name == "mm"
    assert best.args_info == ArgInfo.from_prim_func(matmul)
    again.commit_tuning_record(make_record(again.commit_workload(scale), 5e-4))
    assert JSONDatabase(work_dir=str(tmp_path)).query_tuning_record(scale, None).run_secs == [5e-4]


def test_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="allow_missing=False"):
        JSONDatabase(work_dir=str(tmp_path / "none"), allow_missing=False)
    with pytest.raises(ValueError, match="work_dir"):
        JSONDatabase()


def test_corrupt_lines_are_located(tmp_path, scale, make_record):
    db = JSONDatabase(work_dir=str(tmp_path))
    db.commit_tuning_record(make_record(db.commit_workload(scale), 1.0))
    with open(tmp_path / "database_tuning_record.json", "a") as f:
        f.write("[7, [[[], []], [1.0], null, null]]\n")
    with pytest.raises(ValueError, match=r"database_tuning_record.json:2: workload index 7"):
        JSONDatabase(work_dir=str(tmp_path))
    with open(tmp_path / "database_workload.json", "a") as f:
        f.write("{oops\n")
    with pytest.raises(ValueError, match=r"database_workload.json:2: not valid JSON"):
        JSONDatabase(work_dir=str(tmp_path))


def test_second_writer_process_is_refused(tmp_path, make_func):
    import os
    import subprocess
    import sys
    import textwrap

    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    code = textwrap.dedent(f"""
        import time
        from raytune_ms import te
        from raytune_ms.database import JSONDatabase
        a = te.placeholder((4,), name="A")
        db = JSONDatabase(work_dir={str(tmp_path)!r})
        db.commit_workload(te.create_prim_func([a, te.compute((4,), lambda i: a[i] + 1.0, name="B")]))
        print("writing", flush=True)
        time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=repo))
    try:
        assert proc.stdout.readline().strip() == "writing"
        reader = JSONDatabase(work_dir=str(tmp_path))  # reading is fine
        assert len(reader.workloads()) == 1
        with pytest.raises(RuntimeError, match=r"being written by another process .*parquet"):
            reader.commit_workload(make_func())
    finally:
        proc.kill()
        proc.wait()
    JSONDatabase(work_dir=str(tmp_path)).commit_workload(make_func())  # the writer is gone: free again


def test_two_handles_in_one_process_keep_workload_lines(tmp_path, make_func, make_record):
    first, second = JSONDatabase(work_dir=str(tmp_path)), JSONDatabase(work_dir=str(tmp_path))
    w4 = first.commit_workload(make_func(n=4))
    w8 = second.commit_workload(make_func(n=8))  # line 1, after the line `first` appended
    second.commit_tuning_record(make_record(w8, 8.0))
    first.commit_tuning_record(make_record(w4, 4.0))
    back = JSONDatabase(work_dir=str(tmp_path))
    assert back.query_tuning_record(make_func(n=4), None).run_secs == [4.0]
    assert back.query_tuning_record(make_func(n=8), None).run_secs == [8.0]


def test_torn_last_line_is_skipped_then_cut(tmp_path, scale, make_record, caplog):
    db = JSONDatabase(work_dir=str(tmp_path))
    wl = db.commit_workload(scale)
    db.commit_tuning_record(make_record(wl, 1.0))
    db.close()
    path = tmp_path / "database_tuning_record.json"
    with open(path, "a") as f:
        f.write('[0,[[[],[]],[2.0')  # a writer killed mid-line
    again = JSONDatabase(work_dir=str(tmp_path))
    assert len(again) == 1
    assert "database_tuning_record.json:2: skipping a torn last line" in caplog.text
    again.commit_tuning_record(make_record(again.commit_workload(scale), 3.0))
    assert [r.run_secs for r in JSONDatabase(work_dir=str(tmp_path)).get_all_tuning_records()] == [[1.0], [3.0]]
