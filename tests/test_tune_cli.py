"""`raytune-ms tune`: the final JSON line, the statistics table and the progress bar on stderr."""

import json

from raytune_ms.cli import main


def test_tune_cli_prints_the_summary(tmp_path, capsys):
    work_dir = tmp_path / "run"
    rc = main(["tune", "--workload", "GEMV", "--size", "small", "--trials", "4", "--work-dir", str(work_dir),
               "--builder", "local", "--runner", "local", "--num-trials-per-iter", "2", "--seed", "3", "--json",
               "--space", "matmul"])
    out, err = capsys.readouterr()
    assert rc == 0
    summary = json.loads(out.strip().splitlines()[-1])
    assert set(summary) == {"workload", "trials", "best_ms", "gflops", "correct", "wall_s", "database"}
    assert summary["workload"] == "GEMV" and summary["trials"] == 4
    assert summary["correct"] is True and summary["best_ms"] > 0 and summary["gflops"] > 0
    assert summary["database"] == str(work_dir / "database")
    assert "Total trials: 4" in err and "raytune_ms: 4/4 trials (100%), best" in err
    assert (work_dir / "logs" / "tune.log").exists()


def test_unknown_space_for_a_workload_is_an_error(tmp_path, capsys):
    import pytest

    with pytest.raises(SystemExit):
        main(["tune", "--workload", "GMM", "--space", "winograd", "--work-dir", str(tmp_path)])


def test_tune_cli_default_space_is_post_order_apply(tmp_path, capsys):
    import importlib.util

    import pytest

    from raytune_ms.cli import build_parser

    args = build_parser().parse_args(["tune", "--workload", "SFM", "--work-dir", str(tmp_path)])
    assert args.space == "post-order-apply"
    if importlib.util.find_spec("raytune_ms.mutator") is None:
        pytest.skip("the automatic space's default mutators are not installed")
    rc = main(["tune", "--workload", "SFM", "--size", "small", "--trials", "4", "--work-dir", str(tmp_path / "run"),
               "--builder", "local", "--runner", "local", "--num-trials-per-iter", "2", "--seed", "3", "--json"])
    assert rc == 0 and json.loads(capsys.readouterr()[0].strip().splitlines()[-1])["correct"] is True
