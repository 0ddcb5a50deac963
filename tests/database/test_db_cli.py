"""`raytune-ms db summary|top|compact|export` on real stores."""

import argparse
import json
import os

import pytest

from raytune_ms.database import JSONDatabase, cli
from raytune_ms.database.parquet_database import ParquetDatabase


def main(argv):
    """`raytune-ms` with only the db subcommand registered (as raytune_ms.cli does)."""
    parser = argparse.ArgumentParser(prog="raytune-ms")
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture
def store(tmp_path, scale, matmul, make_record):
    path = str(tmp_path / "db")
    db = ParquetDatabase(path, log_rows=1)  # a part per record, as many short runs leave
    wl, wm = db.commit_workload(scale), db.commit_workload(matmul)
    for s in (3e-3, 1e-3, 2e-3):
        db.commit_tuning_record(make_record(wl, s, task_name="scale", node="n1"))
    db.commit_tuning_record(make_record(wl, None, error="boom", task_name="scale"))
    db.commit_tuning_record(make_record(wm, 5e-3, task_name="gemm"))
    return path, wl, wm


def _run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_summary_json_and_table(store, capsys):
    path, wl, wm = store
    code, out, _ = _run(capsys, "db", "summary", path, "--json")
    assert code == 0
    summary = json.loads(out)
    rows = {r["workload"]: r for r in summary["workloads"]}
    assert rows["scale"]["shash"] == wl.shash
    assert (rows["scale"]["records"], rows["scale"]["valid"]) == (4, 3)
    assert rows["scale"]["best_ms"] == pytest.approx(1.0)
    assert rows["gemm"]["best_ms"] == pytest.approx(5.0)
    assert summary["total"] == {"workloads": 2, "records": 5, "valid": 4}
    code, out, _ = _run(capsys, "db", "summary", path)
    assert "scale" in out and "1 ms" in out and "total: 2 workloads, 5 records, 4 valid" in out


def test_top_by_task_name_and_hash_prefix(store, capsys):
    path, wl, wm = store
    code, out, _ = _run(capsys, "db", "top", path, "--workload", "scale", "-k", "2", "--json")
    assert code == 0
    (entry,) = json.loads(out)
    assert [r["mean_ms"] for r in entry["records"]] == pytest.approx([1.0, 2.0])
    assert entry["records"][0]["node"] == "n1"
    code, out, _ = _run(capsys, "db", "top", path, "--workload", wm.shash[:6])
    assert code == 0 and "gemm" in out and "5 ms" in out
    code, out, _ = _run(capsys, "db", "top", path, "--workload", "main", "--json")
    assert len(json.loads(out)) == 2  # the function name matches both
    code, _, err = _run(capsys, "db", "top", path, "--workload", "nope")
    assert code == 1 and "known: gemm, scale" in err


def test_compact_and_export(store, tmp_path, capsys):
    path, wl, wm = store
    code, out, _ = _run(capsys, "db", "compact", path)
    assert code == 0 and "records: merged 5 parts, 5 rows" in out
    assert len(os.listdir(os.path.join(path, "records"))) == 1
    out_dir = str(tmp_path / "json")
    code, out, _ = _run(capsys, "db", "export", path, "--json", out_dir)
    assert code == 0 and "2 workloads and 5 records" in out
    assert len(JSONDatabase(work_dir=out_dir)) == 5
    code, out, _ = _run(capsys, "db", "summary", out_dir, "--json")  # JSON stores are read too
    assert json.loads(out)["total"]["records"] == 5
    with pytest.raises(SystemExit, match="JSON database"):
        main(["db", "compact", out_dir])


def test_missing_store_is_reported(tmp_path):
    with pytest.raises(SystemExit, match="not a directory"):
        main(["db", "summary", str(tmp_path / "none")])
    with pytest.raises(SystemExit, match="expected a parquet store"):
        main(["db", "summary", str(tmp_path)])


def test_compact_reports_an_unreadable_part(store, capsys):
    path, _, _ = store
    records = os.path.join(path, "records")
    victim = sorted(n for n in os.listdir(records) if n.startswith("part-"))[0]
    with open(os.path.join(records, victim), "r+b") as f:
        f.truncate(100)
    code, out, _ = _run(capsys, "db", "compact", path)
    assert code == 0 and "records: merged 4 parts, 4 rows" in out
    assert f"records: left 1 unreadable parts in place: {victim}" in out
    assert os.path.exists(os.path.join(records, victim))


def test_read_only_commands_write_nothing(tmp_path, capsys):
    """summary/top/plot open a store without creating its missing directories."""
    path = tmp_path / "db"
    (path / "records").mkdir(parents=True)
    for argv in (["summary", str(path)], ["top", str(path), "--workload", "x"]):
        _run(capsys, "db", *argv)
        assert sorted(os.listdir(path)) == ["records"] and not os.listdir(path / "records")
