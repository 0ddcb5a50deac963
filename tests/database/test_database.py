"""The interface shared by every kind: workloads, records, top-k, scope, create, PyDatabase."""

import math
import pickle
import threading

import pytest

from raytune_ms import tir
from raytune_ms.arg_info import ArgInfo, TensorInfo
from raytune_ms.database import (
    Database,
    JSONDatabase,
    MemoryDatabase,
    PyDatabase,
    TuningRecord,
    Workload,
)
from raytune_ms.utils import derived_object


def test_workload_hash_and_structural_match(make_func):
    a, b = make_func(), make_func()  # fresh Vars/Buffers: equal only structurally
    wa, wb = Workload(a), Workload(b)
    assert wa.shash == wb.shash == tir.structural_hash(tir.IRModule.from_any(a))
    assert wa.same_as(wb)
    assert not wa.same_as(Workload(make_func(factor=3.0)))
    back = Workload.from_json(wa.as_json())
    assert back.shash == wa.shash and tir.structural_equal(back.mod, wa.mod)
    unpickled = pickle.loads(pickle.dumps(wa))
    assert unpickled.same_as(wa)


def test_workload_accepts_primfunc_and_module(scale):
    assert Workload(scale).shash == Workload(tir.IRModule({"main": scale})).shash
    assert Workload(scale).names == ["main"]


def test_record_validity(scale, make_record):
    wl = Workload(scale)
    assert make_record(wl, [1e-3, 3e-3]).is_valid()
    assert make_record(wl, [1e-3, 3e-3]).mean_run_secs == pytest.approx(2e-3)
    for bad in (None, [], [math.inf], [math.nan], [1e10], [-1.0]):
        assert not make_record(wl, bad).is_valid(), bad
        assert make_record(wl, bad).mean_run_secs == math.inf
    assert not make_record(wl, 1e-3, error="segfault").is_valid()


def test_record_json_round_trip_with_provenance(scale):
    wl = Workload(scale)
    args = ArgInfo.from_prim_func(scale)
    rec = TuningRecord([[["Split", [], [], []]], [[0, 4]]], wl, [0.5, 0.25], None, args,
                       task_name="scale", node="n1", time=12.5, error=None, record_id="abc")
    obj = rec.as_json()
    assert obj[:4] == [[[["Split", [], [], []]], [[0, 4]]], [0.5, 0.25], None, [["TENSOR", "float32", [8, 8]]] * 2]
    assert obj[4] == {"task_name": "scale", "node": "n1", "time": 12.5, "record_id": "abc"}
    back = TuningRecord.from_json(obj, wl)
    assert back.as_json() == obj
    assert back.args_info == [TensorInfo("float32", (8, 8))] * 2
    assert TuningRecord([[], []], wl).as_json() == [[[], []], None, None, None]


def test_record_pickles_in_stored_form(scale):
    from raytune_ms.schedule import Schedule

    sch = Schedule(scale)
    sch.parallel(sch.get_loops(sch.get_block("B"))[0])
    rec = TuningRecord(sch.trace, Workload(scale), [1e-3], "llvm -mcpu=znver4 -num-cores=2",
                       ArgInfo.from_prim_func(scale), task_name="t", node="n", time=3.0, record_id="r")
    back = pickle.loads(pickle.dumps(rec))
    assert back._trace is None  # decoded on first use
    assert back.as_json() == rec.as_json()
    assert back.trace.as_json() == sch.trace.as_json()
    assert back.target == rec.target and back.args_info == rec.args_info


def test_record_rejects_non_workload(scale):
    with pytest.raises(TypeError, match="Workload"):
        TuningRecord([[], []], scale)


@pytest.mark.parametrize("kind", ["memory", "json"])
def test_top_k_sorts_valid_records_by_mean(kind, tmp_path, scale, matmul, make_record):
    db = Database.create(kind, work_dir=str(tmp_path)) if kind == "json" else Database.create(kind)
    wl = db.commit_workload(scale)
    other = db.commit_workload(matmul)
    for secs in ([3.0], [1.0, 5.0], None, [math.inf], [0.5], [2.5]):
        db.commit_tuning_record(make_record(wl, secs))
    db.commit_tuning_record(make_record(wl, 0.1, error="wrong result"))
    db.commit_tuning_record(make_record(other, 0.01))
    assert [r.mean_run_secs for r in db.get_top_k(wl, 10)] == [0.5, 2.5, 3.0, 3.0]
    assert [r.run_secs for r in db.get_top_k(wl, 3)] == [[0.5], [2.5], [3.0]]
    assert [r.run_secs for r in db.get_top_k(wl, 4)][3] == [1.0, 5.0]  # tie keeps commit order
    assert db.get_top_k(wl, 0) == []
    with pytest.raises(ValueError, match="top_k"):
        db.get_top_k(wl, -1)
    assert len(db) == 8 and len(db.get_all_tuning_records()) == 8
    assert db.query_tuning_record(scale, None).run_secs == [0.5]
    assert db.query(matmul, None, kind="record").run_secs == [0.01]


def test_commit_workload_returns_stored_equal_workload(make_func):
    db = MemoryDatabase()
    first = db.commit_workload(make_func())
    assert db.has_workload(make_func())
    assert db.commit_workload(make_func()) is first
    assert not db.has_workload(make_func(n=4))
    assert db.query_tuning_record(make_func(n=4), None) is None


def test_record_with_foreign_workload_object_joins_stored_one(make_func, make_record):
    db = MemoryDatabase()
    stored = db.commit_workload(make_func())
    db.commit_tuning_record(make_record(Workload(make_func()), 1.0))
    assert db.get_top_k(stored, 1)[0].workload is stored


def test_query_kind_is_checked(scale):
    with pytest.raises(ValueError, match="'schedule', 'record' or 'ir_module'"):
        MemoryDatabase().query(scale, None, kind="best")


def test_module_equality_choices():
    MemoryDatabase("ignore-tensor")
    MemoryDatabase("anchor-block")
    with pytest.raises(ValueError, match="module_equality"):
        MemoryDatabase("anchor")


def test_dump_pruned_keeps_best_per_workload(tmp_path, scale, matmul, make_record):
    src = MemoryDatabase()
    wl, wm = src.commit_workload(scale), src.commit_workload(matmul)
    for s in (3.0, 1.0, 2.0):
        src.commit_tuning_record(make_record(wl, s))
    src.commit_tuning_record(make_record(wm, None))
    dst = JSONDatabase(work_dir=str(tmp_path))
    src.dump_pruned(dst)
    assert [r.run_secs for r in dst.get_all_tuning_records()] == [[1.0]]
    assert [r.run_secs for r in JSONDatabase(work_dir=str(tmp_path)).get_all_tuning_records()] == [[1.0]]


def test_scope_nests_and_is_per_thread():
    a, b = MemoryDatabase(), MemoryDatabase()
    assert Database.current() is None
    with a:
        assert Database.current() is a
        with b:
            assert Database.current() is b
            seen = []
            t = threading.Thread(target=lambda: seen.append(Database.current()))
            t.start()
            t.join()
            assert seen == [None]
        assert Database.current() is a
    assert Database.current() is None


def test_create_kinds(tmp_path):
    assert isinstance(Database.create("memory"), MemoryDatabase)
    assert isinstance(Database.create("json", work_dir=str(tmp_path / "j")), JSONDatabase)
    assert type(Database.create("union")).__name__ == "UnionDatabase"
    assert type(Database.create("ordered_union")).__name__ == "OrderedUnionDatabase"
    assert type(Database.create("schedule-fn", lambda sch: True)).__name__ == "ScheduleFnDatabase"
    assert type(Database.create(lambda sch: True)).__name__ == "ScheduleFnDatabase"
    assert type(Database.create("parquet", str(tmp_path / "p"))).__name__ == "ParquetDatabase"
    with pytest.raises(ValueError, match="unknown database kind 'sqlite'"):
        Database.create("sqlite")


def test_importing_the_package_does_not_import_pyarrow():
    import subprocess
    import sys

    code = "import sys, raytune_ms.database; print('pyarrow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@derived_object
class ListDatabase(PyDatabase):
    """A user database: a plain list of (workload, record) kept in Python."""

    def __init__(self):
        self.workloads, self.records = [], []

    def has_workload(self, mod):
        return any(w.same_as(Workload(mod)) for w in self.workloads)

    def commit_workload(self, mod):
        new = Workload(mod)
        for w in self.workloads:
            if w.same_as(new):
                return w
        self.workloads.append(new)
        return new

    def commit_tuning_record(self, record):
        self.records.append(record)

    def get_top_k(self, workload, top_k):
        mine = [r for r in self.records if r.workload.same_as(workload) and r.is_valid()]
        return sorted(mine, key=lambda r: r.mean_run_secs)[:top_k]

    def get_all_tuning_records(self):
        return list(self.records)

    def __len__(self):
        return len(self.records)


def test_py_database_gets_the_queries(scale, make_record):
    db = ListDatabase()
    assert ListDatabase._derived_object is True
    wl = db.commit_workload(scale)
    db.commit_tuning_record(make_record(wl, 2.0))
    db.commit_tuning_record(make_record(wl, 1.0))
    assert db.query_tuning_record(scale, None).run_secs == [1.0]
    with db:
        assert Database.current() is db
    dst = MemoryDatabase()
    db.dump_pruned(dst)
    assert len(dst) == 1


def test_py_database_queries_filter_by_target(scale, make_record):
    zen, skx = "llvm -mcpu=znver4 -num-cores=2", "llvm -mcpu=skylake-avx512 -num-cores=8"
    db = ListDatabase()
    wl = db.commit_workload(scale)
    db.commit_tuning_record(make_record(wl, 1.0, target=skx))
    db.commit_tuning_record(make_record(wl, 2.0, target=zen))
    assert db.query_tuning_record(scale, zen).run_secs == [2.0]
    assert db.query_tuning_record(scale, "cuda -arch=sm_80") is None
