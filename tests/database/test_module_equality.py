"""module_equality="anchor-block" in every database kind: programs whose anchor block (the first
reduction block) is structurally equal are one workload and share records; a record's trace
serves a fused variant through schedule_using_anchor_trace, checked against numpy. Real JSON
files and real Parquet stores, reopened."""

import numpy as np
import pytest

from raytune_ms import te
from raytune_ms.codegen import build
from raytune_ms.database import (
    Database,
    MemoryDatabase,
    OrderedUnionDatabase,
    ScheduleFnDatabase,
    TuningRecord,
    UnionDatabase,
    Workload,
)
from raytune_ms.schedule import Schedule

N = 16
TARGET = "llvm"


def _matmul(tail: str, n=N):
    """C = A @ B, then + bias (per column), then the tail: "" (none), "relu", or "add_relu"
    (a residual R added, then relu)."""
    a, b = te.placeholder((n, n), name="A"), te.placeholder((n, n), name="B")
    bias = te.placeholder((n,), name="bias")
    k = te.reduce_axis((0, n), name="k")
    c = te.compute((n, n), lambda i, j: te.sum(a[i, k] * b[k, j], axis=[k]), name="C")
    out = te.compute((n, n), lambda i, j: c[i, j] + bias[j], name="T_bias")
    args = [a, b, bias]
    if tail == "add_relu":
        r = te.placeholder((n, n), name="R")
        args.append(r)
        out = te.compute((n, n), lambda i, j: out[i, j] + r[i, j], name="T_add")
    if tail in ("relu", "add_relu"):
        out = te.compute((n, n), lambda i, j: te.max(out[i, j], 0.0), name="T_relu")
    return te.create_prim_func([*args, out])


def _reference(tail: str, arrays):
    a, b, bias = arrays[:3]
    out = a @ b + bias
    if tail == "add_relu":
        out = out + arrays[3]
    return np.maximum(out, 0) if tail else out


def _anchor_trace(func, factor=4):
    """A trace that schedules block C only (split, reorder, parallel)."""
    sch = Schedule(func)
    c = sch.get_block("C")
    i, j, k = sch.get_loops(c)
    io, ii = sch.split(i, [None, factor])
    sch.reorder(io, k, ii)
    sch.parallel(io)
    return sch.trace


def _check(sch, tail):
    rng = np.random.default_rng(0)
    n_in = 4 if tail == "add_relu" else 3
    shapes = [(N, N), (N, N), (N,), (N, N)][:n_in]
    arrays = [rng.standard_normal(s).astype("float32") for s in shapes] + [np.zeros((N, N), "float32")]
    build(sch.mod, TARGET)(*arrays)
    np.testing.assert_allclose(arrays[-1], _reference(tail, arrays[:-1]), rtol=1e-5, atol=1e-5)


@pytest.fixture
def stores(tmp_path):
    """kind -> a function opening (again) that kind's store with a given module equality."""
    def open_(kind, equality="anchor-block"):
        if kind == "memory":
            return MemoryDatabase(equality)
        if kind == "json":
            return Database.create("json", work_dir=str(tmp_path / "json"), module_equality=equality)
        return Database.create("parquet", str(tmp_path / "parquet"), module_equality=equality)
    return open_


@pytest.mark.parametrize("kind", ["memory", "json", "parquet"])
def test_fused_variants_share_one_workload_and_its_records(stores, kind):
    base, relu, add_relu = _matmul(""), _matmul("relu"), _matmul("add_relu")
    db = stores(kind)
    stored = db.commit_workload(base)
    assert db.commit_workload(relu) is stored and db.commit_workload(add_relu) is stored
    assert db.has_workload(relu) and db.has_workload(add_relu)
    db.commit_tuning_record(TuningRecord(_anchor_trace(base), stored, [2e-3], TARGET))
    db.commit_tuning_record(TuningRecord(_anchor_trace(base, 8), stored, [1e-3], TARGET))
    for variant in (base, relu, add_relu):
        (best,) = db.get_top_k(Workload(variant), 1)
        assert best.run_secs == [1e-3]
        assert db.query_tuning_record(variant, TARGET).run_secs == [1e-3]
    for func, tail in ((base, ""), (relu, "relu"), (add_relu, "add_relu")):
        _check(db.query_schedule(func, TARGET), tail)
    if kind != "memory":
        db.flush()
        again = stores(kind)
        assert again.has_workload(add_relu) and len(again) == 2
        _check(again.query_schedule(add_relu, TARGET), "add_relu")
        structural = stores(kind, "structural")
        assert structural.has_workload(base) and not structural.has_workload(relu)


@pytest.mark.parametrize("kind", ["memory", "json", "parquet"])
def test_structural_and_ignore_tensor_keep_variants_apart(stores, kind):
    for equality in ("structural", "ignore-tensor"):
        db = stores(kind, equality)
        assert db.commit_workload(_matmul("")) is not db.commit_workload(_matmul("relu"))
        assert not db.has_workload(_matmul("add_relu"))


@pytest.mark.parametrize("kind", ["json", "parquet"])
def test_a_structural_store_reopened_by_anchor_block_pools_the_variants(stores, kind):
    """Each variant tuned on its own (structural) is one class when reopened by anchor block:
    the best record of any variant answers for all, each record keeping its own program."""
    base, relu = _matmul(""), _matmul("relu")
    db = stores(kind, "structural")
    wb, wr = db.commit_workload(base), db.commit_workload(relu)
    db.commit_tuning_record(TuningRecord(_anchor_trace(base), wb, [3e-3], TARGET))
    db.commit_tuning_record(TuningRecord(_anchor_trace(relu, 8), wr, [1e-3], TARGET))
    db.flush()
    pooled = stores(kind)
    ranked = pooled.get_top_k(Workload(base), 5)
    assert [r.run_secs for r in ranked] == [[1e-3], [3e-3]]
    assert ranked[0].workload.same_as(Workload(relu)) and ranked[1].workload.same_as(Workload(base))
    _check(pooled.query_schedule(base, TARGET), "")
    _check(pooled.query_schedule(_matmul("add_relu"), TARGET), "add_relu")
    assert len(pooled.get_all_tuning_records()) == 2


def test_an_inlining_the_variant_cannot_take_is_skipped():
    """The relu variant's trace inlines T_bias; in add_relu T_bias becomes the output (T_add and
    T_relu are inlined into it first), so that inlining is skipped and T_bias parallelised."""
    relu = _matmul("relu")
    sch = Schedule(relu)
    sch.compute_inline(sch.get_block("T_bias"))
    db = MemoryDatabase("anchor-block")
    db.commit_tuning_record(TuningRecord(sch.trace, db.commit_workload(relu), [1e-3], TARGET))
    _check(db.query_schedule(_matmul("add_relu").with_attr("global_symbol", "main"), TARGET), "add_relu")


@pytest.mark.parametrize("kind", ["memory", "parquet"])
def test_the_best_record_answers_with_the_instructions_on_absent_blocks_skipped(stores, kind):
    """A faster variant's trace that names its own relu block serves the plain kernel too (as in
    the reference, its instructions on T_relu are skipped); the variant gets it whole."""
    base, relu = _matmul(""), _matmul("relu")
    db = stores(kind)
    stored = db.commit_workload(base)
    sch = Schedule(relu)
    sch.parallel(sch.get_loops(sch.get_block("T_relu"))[0])
    db.commit_tuning_record(TuningRecord(_anchor_trace(base), stored, [2e-3], TARGET))
    db.commit_tuning_record(TuningRecord(sch.trace, Workload(relu), [1e-3], TARGET))
    assert db.query_tuning_record(base, TARGET).run_secs == [1e-3]
    _check(db.query_schedule(base, TARGET), "")
    _check(db.query_schedule(relu, TARGET), "relu")


def test_unions_answer_for_fused_variants():
    base, add_relu = _matmul(""), _matmul("add_relu")
    fast, slow = MemoryDatabase("anchor-block"), MemoryDatabase("anchor-block")
    for db, secs in ((fast, 1e-3), (slow, 2e-3)):
        db.commit_tuning_record(TuningRecord(_anchor_trace(base), db.commit_workload(base), [secs], TARGET))
    assert UnionDatabase(slow, fast).query_tuning_record(add_relu, TARGET).run_secs == [1e-3]
    assert OrderedUnionDatabase(slow, fast).query_tuning_record(add_relu, TARGET).run_secs == [2e-3]
    _check(UnionDatabase(MemoryDatabase(), slow).query_schedule(add_relu, TARGET), "add_relu")


def test_schedule_fn_database_takes_every_equality():
    for equality in ("structural", "ignore-tensor", "anchor-block"):
        db = ScheduleFnDatabase(lambda sch: None, module_equality=equality)
        assert db.module_equality == equality and db.query_schedule(_matmul("relu"), TARGET) is not None
