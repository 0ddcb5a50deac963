"""`raytune-ms workloads --list / --check`: output formats and exit codes."""

import argparse
import json

import pytest

from raytune_ms.workloads import cli, suite


def main(argv):
    parser = argparse.ArgumentParser(prog="raytune-ms")
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["workloads", *argv])
    return args.func(args)


def test_list(capsys):
    assert main(["--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [ln.split()[0] for ln in lines] == suite.names()
    assert "6.291 MFLOP" in lines[0] and "(1,256,64)" in lines[0]  # C1D, standard by default


def test_list_shows_the_size_asked(capsys):
    assert main(["--list", "--size", "small"]) == 0
    lines = capsys.readouterr().out.splitlines()
    gmm = next(ln for ln in lines if ln.split()[0] == "GMM")
    assert "N=16 M=16 K=16" in gmm and "8.192 kFLOP" in gmm


def test_check_json(capsys):
    assert main(["--check", "--size", "small", "--json", "GMM", "SFM", "T2D"]) == 0
    rows = [json.loads(ln) for ln in capsys.readouterr().out.splitlines()]
    assert [r["workload"] for r in rows] == ["GMM", "SFM", "T2D"]
    for r in rows:
        assert {"workload", "size", "correct", "max_abs_err", "ms"} <= set(r)
        assert r["size"] == "small" and r["correct"] is True
        assert r["max_abs_err"] < 1e-3 and r["ms"] > 0


def test_check_table(capsys):
    assert main(["--check", "--size", "small", "NRM"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:5] == ["workload", "size", "correct", "max_abs_err", "ms"]
    assert out[1].split()[:3] == ["NRM", "small", "True"]


def test_unknown_name(capsys):
    assert main(["--check", "NOPE"]) == 2
    assert "unknown workload(s): NOPE" in capsys.readouterr().err


def test_incorrect_workload_fails(capsys, monkeypatch):
    entry = suite.SUITE["GMM"]
    wrong = suite.Entry(entry.description, entry.build, lambda a, b, **cfg: [a @ b + 1.0], entry.flops,
                        entry.standard, entry.small)
    monkeypatch.setitem(suite.SUITE, "WRONG", wrong)
    assert main(["--check", "--json", "GMM", "WRONG"]) == 1
    rows = [json.loads(ln) for ln in capsys.readouterr().out.splitlines()]
    assert [r["correct"] for r in rows] == [True, False]
    assert rows[1]["max_abs_err"] == pytest.approx(1.0, rel=1e-4)


def test_list_and_check_are_exclusive():
    with pytest.raises(SystemExit):
        main(["--list", "--check"])
    with pytest.raises(SystemExit):
        main([])


def test_through_the_raytune_ms_command(capsys):
    from raytune_ms.cli import main as raytune_ms_main

    assert raytune_ms_main(["workloads", "--list"]) == 0
    assert capsys.readouterr().out.split()[0] == "C1D"
