"""Shared builders for the database tests: small real programs and records over them.
Traces are stored as opaque JSON, so most tests use the empty trace; replay tests build real
ones with raytune_ms.schedule."""

import pytest

from raytune_ms import te
from raytune_ms.database import Database, TuningRecord

EMPTY_TRACE = [[], []]


def _scale(n=8, factor=2.0):
    a = te.placeholder((n, n), name="A")
    b = te.compute((n, n), lambda i, j: a[i, j] * factor, name="B")
    return te.create_prim_func([a, b])


def _matmul(n=8):
    a = te.placeholder((n, n), name="A")
    b = te.placeholder((n, n), name="B")
    k = te.reduce_axis((0, n), name="k")
    c = te.compute((n, n), lambda i, j: te.sum(a[i, k] * b[k, j], axis=[k]), name="C")
    return te.create_prim_func([a, b, c])


def _record(workload, secs, target=None, trace=EMPTY_TRACE, **kw):
    run_secs = None if secs is None else (list(secs) if isinstance(secs, (list, tuple)) else [secs])
    return TuningRecord(trace, workload, run_secs, target, None, **kw)


@pytest.fixture
def scale():
    return _scale()


@pytest.fixture
def matmul():
    return _matmul()


@pytest.fixture
def make_func():
    return _scale


@pytest.fixture
def make_record():
    return _record


@pytest.fixture
def open_db(tmp_path):
    """`open_db(kind)` opens a database of `kind`; disk-backed kinds live under this test's
    tmp_path, so opening again reads back what an earlier handle wrote."""

    def open_(kind):
        if kind == "json":
            return Database.create("json", work_dir=str(tmp_path / "json"))
        if kind == "parquet":
            return Database.create("parquet", str(tmp_path / "pq"))
        return Database.create(kind)

    return open_
