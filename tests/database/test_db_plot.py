"""`raytune-ms db plot`: best-so-far curves of a real store (tiled schedules measured here)."""

import argparse

import numpy as np
import pytest

import raytune_ms as ms
from raytune_ms import te
from raytune_ms.arg_info import ArgInfo
from raytune_ms.database import TuningRecord, cli
from raytune_ms.database.parquet_database import ParquetDatabase
from raytune_ms.database.plot import best_so_far, curve_values
from raytune_ms.spaces.tiling import main_block, multi_level_tile


def main(argv):
    parser = argparse.ArgumentParser(prog="raytune-ms")
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def _matmul(n):
    a = te.placeholder((n, n), name="A")
    b = te.placeholder((n, n), name="B")
    k = te.reduce_axis(n, "k")
    c = te.compute((n, n), lambda i, j: te.sum(a[i, k] * b[k, j], axis=k), name="C")
    return te.create_prim_func([a, b, c])


@pytest.fixture
def store(tmp_path):
    """Two workloads, each with a few tiled schedules measured on this machine, and a failure."""
    path = str(tmp_path / "db")
    db = ParquetDatabase(path)
    t = 1000.0
    for name, n in (("mm32", 32), ("mm48", 48)):
        func = _matmul(n)
        wl = db.commit_workload(func)
        arrays = [np.random.default_rng(0).random((n, n), dtype=np.float32) for _ in range(2)]
        arrays.append(np.zeros((n, n), np.float32))
        for seed in range(3):
            sch = ms.Schedule(func, seed=seed)
            multi_level_tile(sch, main_block(sch), parallel=False)
            secs = ms.build(sch.mod, "llvm").time(*arrays, number=2, repeat=1, min_repeat_ms=1)
            t += 1.0
            db.commit_tuning_record(TuningRecord(sch.trace, wl, secs, "llvm", ArgInfo.from_entry_func(sch.mod),
                                                 task_name=name, time=t))
        db.commit_tuning_record(TuningRecord(sch.trace, wl, None, "llvm", None, error="boom", task_name=name,
                                             time=t + 0.5))
    db.flush()
    return path


def test_plot_writes_a_png(store, tmp_path, capsys):
    out = str(tmp_path / "curve.png")
    assert main(["db", "plot", store, "--out", out]) == 0
    assert capsys.readouterr().out.strip() == out
    with open(out, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    one = str(tmp_path / "one.png")
    assert main(["db", "plot", store, "--out", one, "--workload", "mm32", "--metric", "ms"]) == 0
    assert 5_000 < len(open(one, "rb").read()) < len(data)


def test_plot_unknown_workload(store, tmp_path, capsys):
    assert main(["db", "plot", store, "--out", str(tmp_path / "x.png"), "--workload", "nope"]) == 1
    assert "no workload matches 'nope'" in capsys.readouterr().err


def test_best_so_far_orders_by_time_and_skips_failures():
    class Rec:
        def __init__(self, secs, time):
            self.mean_run_secs, self.time = secs, time

    best = best_so_far([Rec(3.0, 2.0), Rec(float("inf"), 1.0), Rec(1.0, 4.0), Rec(2.0, 3.0)])
    assert best.tolist() == [float("inf"), 3.0, 2.0, 1.0]
    assert curve_values(best, 2e9, "gflops").tolist() == [0.0, 2 / 3, 1.0, 2.0]
    assert np.isnan(curve_values(best, 2e9, "ms")[0])
    with pytest.raises(ValueError, match="unknown metric 'x'"):
        curve_values(best, 1, "x")
