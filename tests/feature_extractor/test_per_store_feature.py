"""PerStoreFeature: the documented values on programs small enough to count by hand, one row
per stored buffer, determinism, sensitivity to the schedule, and every suite workload."""

import numpy as np
import pytest

import raytune_ms as ms
from raytune_ms import spaces, te, workloads
from raytune_ms.feature_extractor import FeatureExtractor, PerStoreFeature, PyFeatureExtractor
from raytune_ms.testing.measured import candidates, tiled
from raytune_ms.tune_cli import WORKLOAD_SPACES
from raytune_ms.tune_context import TuneContext


def raw(features):
    """Undo slog: the values before log2(1 + |x|)."""
    return np.sign(features) * (2.0 ** np.abs(features.astype(np.float64)) - 1.0)


def named(features, row=0):
    """{name: value} of one row, to 6 significant digits (float32 precision)."""
    names = PerStoreFeature().feature_names()
    return {n: float(f"{v:.6g}") for n, v in zip(names, raw(features)[row])}


def add4():
    a = te.placeholder((4, 4), name="A")
    b = te.placeholder((4, 4), name="B")
    c = te.compute((4, 4), lambda i, j: a[i, j] + b[i, j], name="C")
    return te.create_prim_func([a, b, c])


def matmul(n=4):
    a = te.placeholder((n, n), name="A")
    b = te.placeholder((n, n), name="B")
    k = te.reduce_axis(n, "k")
    c = te.compute((n, n), lambda i, j: te.sum(a[i, k] * b[k, j], axis=k), name="C")
    return te.create_prim_func([a, b, c])


def test_names_and_length():
    ex = PerStoreFeature()
    names = ex.feature_names()
    assert len(names) == ex.feature_vector_length == 164 and len(set(names)) == 164
    assert names[:3] == ["float_mad", "float_addsub", "float_mul"]
    assert names[57] == "B0.acc_type.kRead" and names[-3:] == ["outer_prod", "num_loops", "auto_unroll_max_step"]
    assert PerStoreFeature(extract_workload=True).feature_vector_length == 172
    short = PerStoreFeature(buffers_per_store=2, arith_intensity_curve_num_samples=4)
    assert short.feature_vector_length == 57 + 36 + 4 + 7


def test_add_4x4_by_hand():
    f = named(PerStoreFeature().extract_func(add4()))
    assert f["float_addsub"] == 16 and f["float_mul"] == 0 and f["int_addsub"] == 0
    assert f["vec_num"] == 0 and f["vec_type.kPosNone"] == 1 and f["is_gpu"] == 0 and f["threadIdx_x_len"] == 1
    for slot, (name, acc) in enumerate([("A", "kRead"), ("B", "kRead"), ("C", "kWrite")]):  # ties: by name
        b = f"B{slot}."
        assert f[b + f"acc_type.{acc}"] == 1, name
        assert f[b + "bytes"] == 64 and f[b + "unique_bytes"] == 64  # 16 floats
        assert f[b + "lines"] == 1 and f[b + "unique_lines"] == 1  # 64 contiguous bytes
        assert f[b + "reuse_type.kNoReuse"] == 1 and f[b + "reuse_ct"] == 0
        assert f[b + "bytes_d_reuse_ct"] == 128 and f[b + "stride"] == 1
    assert all(f[f"B{s}.bytes"] == 0 for s in (3, 4))
    # one add per iteration; bytes under j: 3 buffers x 4 floats; under i: 3 x 16 floats
    assert np.allclose([f[f"arith_intensity_curve_{i}"] for i in range(10)], 1 / 12, rtol=1e-5)
    assert (f["alloc_size"], f["alloc_prod"], f["alloc_outer_prod"], f["alloc_inner_prod"]) == (64, 16, 1, 16)
    assert (f["outer_prod"], f["num_loops"], f["auto_unroll_max_step"]) == (16, 2, 0)


def test_matmul_4x4_by_hand():
    feats = PerStoreFeature().extract_func(matmul())
    assert feats.shape == (1, 164)  # the initialisation stores a constant: no row
    f = named(feats)
    assert f["float_addsub"] == 64 and f["float_mul"] == 64
    # slots by lines: B (k walks its rows: stride 4 elements, 16 lines), A (4 lines), C
    assert f["B0.acc_type.kRead"] == f["B1.acc_type.kRead"] == f["B2.acc_type.kReadWrite"] == 1
    assert (f["B0.lines"], f["B0.stride"]) == (16, 4)
    assert (f["B1.lines"], f["B1.stride"]) == (4, 1)
    assert (f["B2.lines"], f["B2.stride"]) == (1, 0)  # C's innermost index loop is j, not k
    # reuse: B is reused across i (16 iterations inside, 96 bytes under j: C row 4 + A row 4 +
    # B 16 floats), A across j (4 inside, 36 bytes under k), C across k (at the innermost loop:
    # the three dtype sizes)
    reuse = ("reuse_type.kLoopMultipleRead", "reuse_ct", "reuse_dis_iter", "reuse_dis_bytes")
    assert [f[f"B0.{n}"] for n in reuse] == [1, 4, 16, 96]
    assert [f[f"B1.{n}"] for n in reuse] == [1, 4, 4, 36]
    assert [f[f"B2.{n}"] for n in reuse] == [1, 4, 1, 12]
    assert f["B0.bytes"] == 256 and f["B0.unique_bytes"] == 64 and f["B0.bytes_d_reuse_ct"] == 64
    # intensity: compute 8, 32, 128 flops over 36, 96, 192 bytes; sample 0 targets 12.8 flops
    ratio = [8 / 36, 32 / 96, 128 / 192]
    first = ratio[0] + (ratio[1] - ratio[0]) * (12.8 - 8) / (32 - 8)
    assert np.isclose(f["arith_intensity_curve_0"], first, rtol=1e-5)
    assert np.isclose(f["arith_intensity_curve_9"], ratio[2], rtol=1e-5)
    assert (f["outer_prod"], f["num_loops"]) == (64, 3)


def test_one_row_per_stored_buffer_in_store_order():
    a = te.placeholder((8,), name="A")
    b = te.compute((8,), lambda i: a[i] * 2.0, name="B")
    c = te.compute((8,), lambda i: b[i] + 1.0, name="C")
    feats = PerStoreFeature().extract_func(te.create_prim_func([a, c]))
    assert feats.shape == (2, 164)
    first, second = named(feats, 0), named(feats, 1)
    assert first["float_mul"] == 8 and first["float_addsub"] == 0
    assert second["float_addsub"] == 8 and second["float_mul"] == 0
    assert first["alloc_size"] == 32 and first["alloc_outer_prod"] == 1  # B: an intermediate buffer


def test_loop_annotations_and_compaction():
    sch = ms.Schedule(matmul(16), seed=0)
    i, j, k = sch.get_loops(sch.get_block("C"))
    i0, i1 = sch.split(i, [None, 4])
    sch.reorder(i0, j, k, i1)
    sch.parallel(i0)
    sch.unroll(i1)
    f = named(PerStoreFeature().extract_func(sch.mod))
    assert (f["parallel_num"], f["parallel_prod"], f["parallel_len"], f["parallel_type.kPosMixed"]) == (1, 4, 4, 1)
    assert (f["unroll_num"], f["unroll_prod"], f["unroll_len"]) == (1, 4, 4)
    assert f["vec_type.kPosNone"] == 1 and f["num_loops"] == 4


def test_deterministic_and_cached():
    cands = candidates(workloads.get("GMM", "small").func, range(6))
    ex = PerStoreFeature()
    first = ex.extract_from(None, cands)
    again = PerStoreFeature().extract_from(None, cands)
    for x, y in zip(first, again):
        assert x.dtype == np.float32 and np.array_equal(x, y)
    assert ex.extract_from(None, cands[:1])[0] is first[0]  # same program object: from the cache


def test_different_schedules_give_different_features():
    func = workloads.get("GMM", "standard").func
    cands = candidates(func, range(8))
    feats = PerStoreFeature().extract_from(None, cands)
    assert len(cands) >= 4
    keys = {f.tobytes() for f in feats}
    assert len(keys) == len(cands)
    plain = PerStoreFeature().extract_func(func)
    assert all(f.shape != plain.shape or not np.array_equal(f, plain) for f in feats)


@pytest.mark.parametrize("name", workloads.names())
def test_every_suite_workload_extracts(name):
    wl = workloads.get(name, "small")
    progs = [wl.func]
    space = WORKLOAD_SPACES.get(name)
    if space is not None:
        progs += [s.mod for s in spaces.get(space)(ms.Schedule(wl.func, seed=3))]
    ex = PerStoreFeature()
    for prog in progs:
        feats = ex.extract_func(prog if isinstance(prog, ms.tir.PrimFunc) else prog["main"])
        assert feats.shape[0] >= 1 and feats.shape[1] == 164 and np.isfinite(feats).all(), name


def test_extract_from_context_and_workload_onehots():
    wl = workloads.get("C2D", "small")
    ctx = TuneContext(wl.func, target="llvm")
    cands = candidates(wl.func, [0])
    feats = PerStoreFeature(extract_workload=True).extract_from(ctx, cands)[0]
    assert feats.shape[1] == 172
    onehots = dict(zip(PerStoreFeature(extract_workload=True).feature_names()[164:], feats[0, 164:]))
    assert onehots["workload.conv2d"] == 1 and onehots["workload.softmax"] == 0


def test_create_and_errors():
    assert isinstance(FeatureExtractor.create("per-store-feature"), PerStoreFeature)
    assert isinstance(FeatureExtractor.create("per-store-feature", buffers_per_store=3), PerStoreFeature)
    with pytest.raises(ValueError, match="unknown feature extractor kind 'nope'"):
        FeatureExtractor.create("nope")
    with pytest.raises(ValueError, match="buffers_per_store"):
        PerStoreFeature(buffers_per_store=0)
    with pytest.raises(NotImplementedError):
        PyFeatureExtractor().extract_from(None, [])
    assert tiled(workloads.get("GMM", "small").func, 0) is not None


def test_pickles_without_its_cache():
    import pickle

    ex = PerStoreFeature(cache_line_bytes=128)
    ex.extract_func(add4())
    copy = pickle.loads(pickle.dumps(ex))
    assert len(ex._cache) == 1 and len(copy._cache) == 0 and copy.cache_line_bytes == 128
    assert np.array_equal(copy.extract_func(add4()), ex.extract_func(add4()))


def test_gpu_thread_extents():
    sch = ms.Schedule(add4(), seed=0)
    i, j = sch.get_loops(sch.get_block("C"))
    sch.bind(i, "blockIdx.x")
    sch.bind(j, "threadIdx.x")
    ex = PerStoreFeature()
    gpu = named(ex.extract_from(TuneContext(sch.mod, target="cuda"), candidates_of(sch))[0])
    assert (gpu["is_gpu"], gpu["blockIdx_x_len"], gpu["threadIdx_x_len"], gpu["threadIdx_y_len"]) == (1, 4, 4, 1)
    cpu = named(ex.extract_from(TuneContext(sch.mod, target="llvm"), candidates_of(sch))[0])
    assert (cpu["is_gpu"], cpu["blockIdx_x_len"], cpu["threadIdx_x_len"]) == (0, 1, 1)


def candidates_of(sch):
    from raytune_ms.arg_info import ArgInfo
    from raytune_ms.measure_candidate import MeasureCandidate

    return [MeasureCandidate(sch, ArgInfo.from_entry_func(sch.mod))]
