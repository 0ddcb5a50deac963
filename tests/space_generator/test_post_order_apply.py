"""PostOrderApply: the visiting order, branching, the block filter, the defaults it needs,
design-space soundness over the suite, and tuning with no space argument."""

import os

import numpy as np
import pytest

import raytune_ms as ms
from raytune_ms import te, workloads
from raytune_ms.codegen import build
from raytune_ms.schedule_rule import PyScheduleRule
from raytune_ms.testing import elementwise_chain
from raytune_ms.testing.design_spaces import check_numpy, context, replays


class Recorder(PyScheduleRule):
    def __init__(self, branches=1):
        self.seen = []
        self.branches = branches

    def apply(self, sch, block):
        self.seen.append(sch.get(block).name)
        return [sch] + [sch.copy() for _ in range(self.branches - 1)]


def test_root_first_then_from_the_output_back():
    rule = Recorder()
    context(elementwise_chain(4, 4, stages=3), sch_rules=[rule], postprocs=[]).generate_design_space()
    assert rule.seen == ["root", "D", "C", "B"]


def test_branches_multiply_and_filter_keeps_blocks():
    rule = Recorder(branches=2)
    spaces = context(elementwise_chain(4, 4, stages=2), sch_rules=[rule], postprocs=[],
                     f_block_filter=lambda b: b.name != "root").generate_design_space()
    assert len(spaces) == 4 and "root" not in rule.seen


def test_inlined_blocks_are_skipped_by_later_rules():
    from raytune_ms.schedule_rule import AutoInline

    rule = Recorder()
    context(elementwise_chain(4, 4, stages=3), sch_rules=[AutoInline(), rule], postprocs=[]).generate_design_space()
    assert rule.seen == ["root", "D"]


def _soundness(names, n):
    counts = {}
    for name in names:
        w = workloads.get(name, "small")
        ctx = context(w.func, target="llvm")
        accepted, rejected = replays(ctx, n, seed=1)
        for sch in accepted:
            arrays = w.make_inputs(seed=2)
            build(sch.mod, "llvm")(*arrays)
            ok, err = w.compare(arrays)
            assert ok, f"{name}: wrong result (max error {err}) from\n{sch.trace}"
        counts[name] = (len(accepted), n)
    print("\nsoundness (accepted / replays):", {k: f"{a}/{t}" for k, (a, t) in counts.items()})
    return counts


def test_every_suite_workload_space_is_sound():
    counts = _soundness(workloads.names(), 3)
    assert all(a > 0 for a, _ in counts.values())


@pytest.mark.slow
def test_every_suite_workload_space_is_sound_soak():
    """8 replays per workload in CI; RAYTUNE_SOAK=24 (or more) for a longer soak."""
    _soundness(workloads.names(), int(os.environ.get("RAYTUNE_SOAK", "8")))


def test_interpreter_agrees_on_small_spaces():
    for name in ("GMM", "SFM", "NRM"):
        w = workloads.get(name, "small")
        for sch in replays(context(w.func), 3, seed=4)[0]:
            check_numpy(w.func, sch, interpreter=True, rtol=1e-3, atol=1e-4)


# ---------------------------------------------------------------- tuning with the defaults


def _tune_and_check(func, tmp_path, reference):
    db = ms.tune_tir(func, "llvm", str(tmp_path), max_trials_global=8, runner="local", builder="local",
                     database="memory", strategy="replay-trace")
    sch = ms.compile_tir(db, func, "llvm")
    assert sch is not None
    arrays = [np.random.default_rng(0).uniform(-1, 1, [int(d) for d in p.shape]).astype(p.dtype)
              for p in func.params]
    build(sch.mod, "llvm")(*arrays)
    np.testing.assert_allclose(arrays[-1], reference(*arrays[:-1]), rtol=1e-3, atol=1e-4)


def _fused_matmul_bias_relu(n=32, m=32, k=16):
    A = te.placeholder((n, k), name="A")
    B = te.placeholder((k, m), name="B")
    bias = te.placeholder((m,), name="bias")
    r = te.reduce_axis((0, k), name="r")
    C = te.compute((n, m), lambda i, j: te.sum(A[i, r] * B[r, j], axis=r), name="C")
    D = te.compute((n, m), lambda i, j: C[i, j] + bias[j], name="D")
    E = te.compute((n, m), lambda i, j: te.max(D[i, j], 0.0), name="E")
    return te.create_prim_func([A, B, bias, E]), lambda a, b, c: np.maximum(a @ b + c, 0)


def _middle_axis_sum(a=4, b=16, c=8):
    A = te.placeholder((a, b, c), name="A")
    r = te.reduce_axis((0, b), name="r")
    S = te.compute((a, c), lambda i, j: te.sum(A[i, r, j], axis=r), name="S")
    return te.create_prim_func([A, S]), lambda x: x.sum(axis=1)


def _max_pool(n=8, k=2):
    A = te.placeholder((n, n, 4), name="A")
    ry = te.reduce_axis((0, k), name="ry")
    rx = te.reduce_axis((0, k), name="rx")
    P = te.compute((n // k, n // k, 4), lambda i, j, c: te.max(A[i * k + ry, j * k + rx, c], axis=[ry, rx]),
                   name="P")
    return te.create_prim_func([A, P]), lambda x: x.reshape(n // k, k, n // k, k, 4).max(axis=(1, 3))


def _chain():
    func = elementwise_chain(8, 8, stages=3)
    return func, lambda a: (a * 2.0 + 1.0) ** 2


@pytest.mark.parametrize("make", [_fused_matmul_bias_relu, _middle_axis_sum])
def test_tune_tir_with_defaults_user_programs(make, tmp_path):
    func, reference = make()
    _tune_and_check(func, tmp_path, reference)


@pytest.mark.slow
@pytest.mark.parametrize("make", [_max_pool, _chain])
def test_tune_tir_with_defaults_more_user_programs(make, tmp_path):
    func, reference = make()
    _tune_and_check(func, tmp_path, reference)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["GMM", "SFM", "LN", "NRM", "C2D"])
def test_tune_tir_with_defaults_suite(name, tmp_path):
    w = workloads.get(name, "small")
    _tune_and_check(w.func, tmp_path, lambda *xs: w.reference(*xs)[0])


def test_postprocessed_traces_round_trip_through_json():
    import json

    from raytune_ms import tir
    from raytune_ms.schedule import Schedule, Trace

    for name in ("GMM", "NRM", "CBR"):
        w = workloads.get(name, "small")
        for sch in replays(context(w.func), 3, seed=2)[0]:
            trace = Trace.from_json(json.loads(json.dumps(sch.trace.as_json())))
            again = Schedule(w.func)
            trace.apply_to_schedule(again)
            assert tir.structural_equal(again.mod, sch.mod), name


def _int_matmul():
    A = te.placeholder((8, 12), "int32", name="A")
    B = te.placeholder((12, 16), "int32", name="B")
    r = te.reduce_axis((0, 12), name="r")
    C = te.compute((8, 16), lambda i, j: te.sum(A[i, r] * B[r, j], axis=r), name="C")
    return te.create_prim_func([A, B, C]), lambda a, b: a @ b


def _total_sum():
    A = te.placeholder((16, 8), name="A")
    r1, r2 = te.reduce_axis((0, 16), name="r1"), te.reduce_axis((0, 8), name="r2")
    S = te.compute((1,), lambda i: te.sum(A[r1, r2], axis=[r1, r2]), name="S")
    return te.create_prim_func([A, S]), lambda a: a.sum().reshape(1)


def _transpose_add():
    A = te.placeholder((8, 16), name="A")
    B = te.placeholder((16, 8), name="B")
    T = te.compute((16, 8), lambda i, j: A[j, i], name="T")
    C = te.compute((16, 8), lambda i, j: T[i, j] + B[i, j], name="C")
    return te.create_prim_func([A, B, C]), lambda a, b: a.T + b


def _avg_pool():
    A = te.placeholder((8, 8, 16), name="A")
    ry, rx = te.reduce_axis((0, 2), name="ry"), te.reduce_axis((0, 2), name="rx")
    S = te.compute((4, 4, 16), lambda i, j, c: te.sum(A[i * 2 + ry, j * 2 + rx, c], axis=[ry, rx]), name="S")
    P = te.compute((4, 4, 16), lambda i, j, c: S[i, j, c] * 0.25, name="P")
    return te.create_prim_func([A, P]), lambda a: a.reshape(4, 2, 4, 2, 16).mean(axis=(1, 3))


@pytest.mark.parametrize("make", [_int_matmul, _total_sum, _transpose_add, _avg_pool, _max_pool,
                                  _middle_axis_sum, _fused_matmul_bias_relu])
def test_user_program_spaces_are_sound(make):
    func, reference = make()
    accepted, rejected = replays(context(func, target="llvm"), 4)
    assert accepted and not rejected
    rng = np.random.default_rng(0)
    for sch in accepted:
        arrays = [(rng.integers(-4, 5, [int(d) for d in p.shape]) if p.dtype == "int32"
                   else rng.uniform(-1, 1, [int(d) for d in p.shape])).astype(p.dtype) for p in func.params]
        build(sch.mod, "llvm")(*arrays)
        np.testing.assert_allclose(arrays[-1], reference(*arrays[:-1]), rtol=1e-4, atol=1e-4)
