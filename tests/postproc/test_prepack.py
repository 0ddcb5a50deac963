"""RewriteLayout moves a run-time pack of a layout-free weight ahead of time: the pack copy is
inlined into its consumer and the weight is stored once in the order that consumer's loops read
it (panel after panel), so the kernel has no copy stage and its vector loads stay contiguous.
Checked against numpy with and without the copy stage, through the real builder and runner,
and through compile_model; the trace replays from JSON and postprocessing is repeatable; a
weight that is not layout-free, or whose layout cannot be derived, keeps its run-time pack."""

import json

import numpy as np
import pytest

from raytune_ms import build, te, tir
from raytune_ms.arg_info import ArgInfo
from raytune_ms.builder import BuilderInput, LocalBuilder
from raytune_ms.codegen import codegen_c
from raytune_ms.postproc import Postproc, RewriteLayout
from raytune_ms.postproc.rewrite_layout import runtime_pack
from raytune_ms.runner import EvaluatorConfig, LocalRunner, RunnerInput
from raytune_ms.schedule import Schedule, Trace
from raytune_ms.target import Target
from raytune_ms.testing import bare_matmul, random_inputs
from raytune_ms.testing.design_spaces import AVX512, context, replays
from raytune_ms.tir.layout_rewrite import LAYOUT_FREE_ATTR, preproc_blocks, split_layout_rewrite

M, K, N = 32, 48, 64


def _linear(layout_free=True):
    """C = A @ B.T with B stored [N, K], as nn.Linear's weight."""
    a = te.placeholder((M, K), name="A")
    b = te.placeholder((N, K), name="B")
    k = te.reduce_axis((0, K), name="k")
    c = te.compute((M, N), lambda i, j: te.sum(a[i, k] * b[j, k], axis=[k]), name="C")
    f = te.create_prim_func([a, b, c])
    return f.with_attr(LAYOUT_FREE_ATTR, (1,)) if layout_free else f


def _postproc_insts(sch):
    kinds = [inst.kind.name for inst in sch.trace.insts]
    return kinds[kinds.index("EnterPostproc"):]


def _packed(sch):
    """Whether the schedule (before postprocessing) packs the weight at run time."""
    kinds = [inst.kind.name for inst in sch.trace.insts]
    return "CacheRead" in kinds[:kinds.index("EnterPostproc")]


def _prepacked(sch):
    return "ComputeInline" in _postproc_insts(sch)


@pytest.fixture(scope="module")
def schedules():
    func = _linear()
    scheds, rejected = replays(context(func, target=AVX512), 8, seed=4)
    assert rejected == 0
    return func, scheds


def _check_both_ways(func, sch, want_fn):
    arrays = random_inputs(func, seed=1)
    want = want_fn(arrays)
    got = [a.copy() for a in arrays]
    build(sch.mod["main"], "llvm")(*got)
    np.testing.assert_allclose(got[-1], want, rtol=1e-4, atol=1e-4)
    h, maps = split_layout_rewrite(sch.mod["main"])
    converted = [maps[i].apply_to_array(a) if i in maps else a.copy() for i, a in enumerate(arrays)]
    build(h, "llvm")(*converted)
    np.testing.assert_allclose(converted[-1], want, rtol=1e-4, atol=1e-4)
    return h, maps


def test_a_run_time_pack_moves_ahead_of_time(schedules):
    func, scheds = schedules
    packed = [s for s in scheds if _packed(s)]
    assert packed, "no replay packed the weight"
    for sch in packed:
        assert _prepacked(sch)
        h, maps = _check_both_ways(func, sch, lambda a: a[0] @ a[1].T)
        assert set(maps) == {1}
        # the kernel reads the pre-packed weight directly: no copy stage, no panel buffer
        readers = [b for b in tir.collect(h.body, tir.Block) if any(r.buffer is h.params[1] for r in b.reads)]
        assert [b.name for b in readers] == ["C"] and runtime_pack(h, h.params[1]) is None
        assert not [b for blk in tir.collect(h.body, tir.Block) for b in blk.alloc_buffers if b.name.startswith("B")]
        # panel after panel: the innermost dimension is the register tile's vector of columns
        assert maps[1].map_shape((N, K))[-1] % 16 == 0
        strided = [ln for ln in codegen_c(h, Target(AVX512)).splitlines() if "element stride" in ln]
        assert not strided, strided


def test_the_trace_replays_and_postprocessing_repeats(schedules):
    func, scheds = schedules
    prepacked = [s for s in scheds if _prepacked(s)]
    assert prepacked
    for sch in prepacked[:2]:
        replayed = Schedule(func)
        Trace.from_json(json.loads(json.dumps(sch.trace.as_json()))).apply_to_schedule(replayed)
        tir.assert_structural_equal(replayed.mod, sch.mod)
        again = Schedule(func)
        sch.trace.apply_to_schedule(again, remove_postproc=True)
        again.enter_postproc()
        assert all(p.apply(again) for p in Postproc.create("llvm"))
        tir.assert_structural_equal(again.mod, sch.mod)
        before = tir.structural_hash(sch.mod)
        assert RewriteLayout().apply(sch) and tir.structural_hash(sch.mod) == before


def test_a_weight_that_is_not_layout_free_keeps_its_run_time_pack():
    func = _linear(layout_free=False)
    scheds, _ = replays(context(func, target=AVX512), 8, seed=4)
    packed = [s for s in scheds if _packed(s)]
    assert packed
    for sch in packed:
        g = sch.mod["main"]
        assert not preproc_blocks(g) and not _prepacked(sch)
        assert runtime_pack(g, g.params[1]) == "B_global"


def test_a_pack_whose_layout_cannot_be_derived_stays():
    """The consumer's column loop split imperfectly (64 by 24): no digit layout, the pack stays."""
    sch = Schedule(_linear())
    b = sch.get_block("C")
    i, j, k = sch.get_loops(b)
    j0, j1 = sch.split(j, [None, 24])
    sch.reorder(j0, i, k, j1)
    sch.compute_at(sch.cache_read(b, 1, "global"), j0)
    sch.enter_postproc()
    before = tir.structural_hash(sch.mod)
    assert runtime_pack(sch.mod["main"], sch.mod["main"].params[1]) == "B_global"
    assert RewriteLayout().apply(sch) and tir.structural_hash(sch.mod) == before


def test_measured_through_the_builder_and_runner(schedules):
    func, scheds = schedules
    sch = next(s for s in scheds if _prepacked(s))
    builder = LocalBuilder(max_workers=1)
    base, cand = builder.build([BuilderInput(tir.IRModule({"main": func}), "llvm"), BuilderInput(sch.mod, "llvm")])
    builder.shutdown()
    runner = LocalRunner(evaluator_config=EvaluatorConfig(number=1, repeat=2, min_repeat_ms=1))
    info = ArgInfo.from_entry_func(sch.mod)
    assert info[1].layout is not None and info[1].shape == (N, K)
    (res,) = [f.result() for f in runner.run([RunnerInput(None, "cpu", info, artifact=cand.artifact,
                                                          baseline=base.artifact)])]
    runner.shutdown()
    assert res.error_msg is None and len(res.run_secs) == 2


def test_a_fused_loop_is_read_as_the_loops_it_fused():
    """The weight's layout under fuse(j0, i) is the one under j0, i: the fused variable's floor
    division and modulo give its digits back (before, any fused loop through the weight left it)."""
    f = bare_matmul(64, 64, 32).with_attr(LAYOUT_FREE_ATTR, (1,))
    maps = []
    for fuse in (False, True):
        sch = Schedule(f)
        i, j, k = sch.get_loops(sch.get_block("C"))
        j0, j1 = sch.split(j, [4, 16])
        sch.reorder(j0, i, k, j1)
        if fuse:
            sch.parallel(sch.fuse(j0, i))
        sch.enter_postproc()
        assert RewriteLayout().apply(sch)
        maps.append(_check_both_ways(f, sch, lambda a: a[0] @ a[1])[1][1])
    assert maps[1].as_python() == maps[0].as_python() and maps[0].map_shape((32, 64)) == (4, 32, 16)


def test_a_pack_that_only_copies_the_weight_is_inlined():
    """B [K, N] with N one panel wide: the packed panel is B itself, so the pack is inlined and the
    weight keeps its layout (no layout-rewrite stage)."""
    f = bare_matmul(32, 16, 48).with_attr(LAYOUT_FREE_ATTR, (1,))
    scheds, _ = replays(context(f, target=AVX512), 4, seed=4)
    packed = [s for s in scheds if _packed(s)]
    assert packed
    for sch in packed:
        assert _prepacked(sch) and not preproc_blocks(sch.mod["main"])
        h, maps = _check_both_ways(f, sch, lambda a: a[0] @ a[1])
        assert not maps and runtime_pack(h, h.params[1]) is None
