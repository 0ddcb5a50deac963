"""`raytune-ms tune`: the final JSON line, the statistics table and the progress bar on stderr."""

import json

from raytune_ms.cli import main


def test_tune_cli_prints_the_summary(tmp_path, capsys):
    work_dir = tmp_path / "run"
    rc = main(["tune", "--workload", "GEMV", "--size", "small", "--trials", "4", "--work-dir", str(work_dir),
               "--builder", "local", "--runner", "local", "--num-trials-per-iter", "2", "--seed", "3", "--json",
               "--space", "matmul", "--strategy", "replay-trace", "--cost-model", "random"])
    out, err = capsys.readouterr()
    assert rc == 0
    summary = json.loads(out.strip().splitlines()[-1])
    assert set(summary) == {"workload", "trials", "records", "best_ms", "gflops", "speedup", "correct",
                            "stop_reason", "wall_s", "database"}
    assert summary["workload"] == "GEMV" and summary["trials"] == 4 and summary["records"] == 4
    assert summary["speedup"] > 0 and summary["stop_reason"] is None
    assert summary["correct"] is True and summary["best_ms"] > 0 and summary["gflops"] > 0
    assert summary["database"] == str(work_dir / "database")
    assert "Total trials: 4" in err and "raytune_ms: 4/4 trials (100%), best" in err
    assert (work_dir / "logs" / "tune.log").exists()


def test_unknown_space_for_a_workload_is_an_error(tmp_path, capsys):
    import pytest

    with pytest.raises(SystemExit) as info:
        main(["tune", "--workload", "GMM", "--space", "winograd", "--work-dir", str(tmp_path)])
    assert info.value.code == 2


def test_tune_cli_default_space_is_post_order_apply(tmp_path, capsys):
    from raytune_ms.cli import build_parser

    args = build_parser().parse_args(["tune", "--workload", "SFM", "--work-dir", str(tmp_path)])
    assert (args.space, args.strategy, args.cost_model) == ("post-order-apply", "evolutionary", "xgb")
    rc = main(["tune", "--workload", "SFM", "--size", "small", "--trials", "4", "--work-dir", str(tmp_path / "run"),
               "--builder", "local", "--runner", "local", "--num-trials-per-iter", "2", "--seed", "3", "--json",
               "--strategy", "replay-trace", "--cost-model", "random", "--remeasure-top-k", "1"])
    assert rc == 0 and json.loads(capsys.readouterr()[0].strip().splitlines()[-1])["correct"] is True
    from raytune_ms.database.parquet_database import ParquetDatabase

    records = ParquetDatabase(str(tmp_path / "run" / "database")).get_all_tuning_records()
    assert sum(r.is_remeasurement and r.is_valid() for r in records) == 1  # the best, re-timed


def test_search_workers_need_the_evolutionary_search_over_ray(tmp_path, capsys):
    from raytune_ms.cli import build_parser

    assert build_parser().parse_args(["tune", "--workload", "GMM", "--work-dir", str(tmp_path)]).search_workers is None
    for extra in (["--builder", "local", "--runner", "local"], ["--strategy", "replay-trace"]):
        rc = main(["tune", "--workload", "GMM", "--size", "small", "--trials", "2", "--work-dir", str(tmp_path / "w"),
                   "--search-workers", "2", *extra])
        err = capsys.readouterr()[1]
        assert rc != 0 and "--search-workers 2 needs --strategy evolutionary and a Ray builder or runner" in err
