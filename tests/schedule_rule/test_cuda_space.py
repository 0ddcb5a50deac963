"""The CUDA design space (ScheduleRule/Postproc/Mutator.create("cuda")): every suite workload
yields spaces whose sampled candidates pass VerifyGPUCode, compile through NVRTC, and (run by
the CPU emulator of generated CUDA C) match numpy. Prints counts and the NVRTC compile rate."""

import os
import shutil
from collections import Counter

import numpy as np
import pytest

import raytune_ms as ms
from raytune_ms import te, workloads
from raytune_ms.codegen.cuda import codegen_cuda
from raytune_ms.mutator import Mutator
from raytune_ms.postproc import Postproc, RewriteCooperativeFetch, RewriteUnboundBlock
from raytune_ms.runtime.nvrtc import nvrtc_available
from raytune_ms.schedule_rule import AutoBind, CrossThreadReduction, ScheduleRule
from raytune_ms.schedule_rule.multi_level_tiling_cuda import COOPERATIVE_FETCH_KEY, vector_lens_for
from raytune_ms.testing.cuda_schedules import compile_to_ptx
from raytune_ms.testing.design_spaces import context, replays
from raytune_ms.tir import For, collect

needs_nvrtc = pytest.mark.skipif(not nvrtc_available(),
                                 reason="NVRTC not installed (pip install nvidia-cuda-nvrtc-cu12)")
needs_gxx = pytest.mark.skipif(shutil.which("g++") is None, reason="the CUDA emulator needs g++")


def _emulate(w, sch):
    from raytune_ms.testing.cuda_emulator import EmulatedModule

    arrays = w.make_inputs()
    EmulatedModule(codegen_cuda(sch.mod.entry_func(), "cuda"))(*arrays)
    ok, err = w.compare(arrays)
    assert ok, f"{w.name}: max error {err}\n{sch.trace.as_python() if hasattr(sch.trace, 'as_python') else ''}"


def _bound(sch):
    return Counter(f.thread_tag for f in collect(sch.mod.entry_func().body, For) if f.kind == "thread_binding")


def test_cuda_defaults_follow_the_reference():
    assert [type(r).__name__ for r in ScheduleRule.create("cuda")] == [
        "ApplyCustomRule", "MultiLevelTilingCuda", "InlineConstantScalars", "AutoInline", "CrossThreadReduction",
        "ParallelizeVectorizeUnroll", "AutoBind"]
    mlt = ScheduleRule.create("cuda")[1]
    assert mlt.structure == "SSSRRSRS" and mlt.tile_binds == ["blockIdx.x", "vthread.x", "threadIdx.x"]
    assert mlt.reuse_read == {"req": "must", "levels": [4], "scope": "shared"}
    assert mlt.reuse_write == {"req": "must", "levels": [3], "scope": "local"}
    assert [type(p).__name__ for p in Postproc.create("cuda")] == [
        "DisallowDynamicLoop", "RewriteCooperativeFetch", "RewriteUnboundBlock", "RewriteParallelVectorizeUnroll",
        "RewriteReductionBlock", "VerifyGPUCode"]
    assert vector_lens_for("float32", [1, 2, 3, 4, 8, 16]) == [1, 2, 3, 4]
    assert vector_lens_for("float16", [1, 2, 3, 4, 8, 16]) == [1, 2, 4, 8]
    assert vector_lens_for("int8", [1, 2, 3, 4, 8, 16]) == [1, 2, 3, 4, 8, 16]
    with pytest.raises(ValueError, match="tile_binds"):
        ms.schedule_rule.MultiLevelTilingCuda(structure="SSRSRS", tile_binds=["blockIdx.x", "vthread.x", "threadIdx.x"])


def test_matmul_space_tiles_binds_and_stages():
    w = workloads.get("GMM", "small")
    ctx = context(w.func, target="cuda")
    (space,) = ctx.generate_design_space()
    binds = [i.attrs[0] for i in space.trace.insts if i.kind.name == "Bind"]
    assert binds == ["blockIdx.x", "vthread.x", "threadIdx.x"]
    tiles = sorted(i.attrs[0] for i in space.trace.insts if i.kind.name == "SamplePerfectTile")
    assert tiles[0] == 3 and set(tiles[1:]) == {5}  # spatial loops: 5 pieces; the reduction: 3
    scopes = [i.attrs[-1] for i in space.trace.insts if i.kind.name in ("CacheRead", "CacheWrite")]
    assert sorted(scopes) == ["local", "shared", "shared"]
    fetches = [i for i in space.trace.insts if i.kind.name == "Annotate" and i.attrs[0] == COOPERATIVE_FETCH_KEY]
    assert len(fetches) == 2
    (ok,), _ = replays(ctx, 1, seed=1)
    tags = _bound(ok)
    assert tags["blockIdx.x"] == 1 and tags["vthread.x"] == 1 and tags["threadIdx.x"] == 3  # + 2 fetches


def test_shared_fetch_covers_the_thread_block():
    """compute_at of a shared cache under a thread-bound loop fetches the block's whole tile
    (the threadIdx and vthread loops above it relaxed); a local cache keeps one thread's."""
    from raytune_ms.testing.cuda_schedules import matmul

    sch = ms.Schedule(matmul(64))
    c = sch.get_block("C")
    i, j, k = sch.get_loops(c)
    i0, i1, i2, i3 = sch.split(i, [2, 2, 4, 4])
    j0, j1, j2, j3 = sch.split(j, [2, 1, 8, 4])
    k0, k1 = sch.split(k, [4, 16])
    sch.reorder(i0, j0, i1, j1, i2, j2, k0, i3, j3, k1)
    for loops, tag in (((i0, j0), "blockIdx.x"), ((i1, j1), "vthread.x"), ((i2, j2), "threadIdx.x")):
        sch.bind(sch.fuse(*loops), tag)
    a_shared = sch.cache_read(c, 0, "shared")
    sch.compute_at(a_shared, k0, preserve_unit_loops=True)
    b_local = sch.cache_read(c, 1, "local")
    sch.compute_at(b_local, k0, preserve_unit_loops=True)
    assert [sch.get(lp).extent.value for lp in sch.get_loops(a_shared)[-2:]] == [32, 16]  # 2x4x4 rows
    assert [sch.get(lp).extent.value for lp in sch.get_loops(b_local)[-2:]] == [16, 4]  # one thread's columns


def _accepted(ctx, want, most, seed):
    """Candidates drawn until `want` pass the postprocessors (at most `most` draws):
    (accepted, draws)."""
    out, draws = [], 0
    while len(out) < want and draws < most:
        ok, _ = replays(ctx, 1, seed=seed + draws)
        out += ok
        draws += 1
    return out, draws


def _soak(size, want, most, compile_some, names, capsys):
    """Per workload of `names`: spaces, candidates drawn until `want` pass VerifyGPUCode (at
    most `most` draws), and NVRTC compiles of those accepted (all, or for `compile_some` only
    the first accepted candidate of the workloads it names)."""
    rows, total, accepted, kernels, secs = [], 0, 0, 0, 0.0
    for name in names:
        w = workloads.get(name, size)
        ctx = context(w.func, target="cuda")
        assert ctx.generate_design_space(), name
        ok, draws = _accepted(ctx, want, most, seed=7)
        assert ok, f"{name}: none of {draws} candidates passed the postprocessors"
        total += draws
        accepted += len(ok)
        for sch in ok if compile_some is None else ok[:1] if name in compile_some else []:
            art, took = compile_to_ptx(sch, name)
            secs += took
            kernels += len(art.kernels)
        rows.append(f"{name}:{len(ok)}/{draws}")
    with capsys.disabled():
        print(f"\n[cuda space {size}] {accepted} of {total} sampled candidates passed VerifyGPUCode; "
              f"{kernels} kernels compiled by NVRTC at {kernels / max(secs, 1e-9):.2f} kernels/s: {' '.join(rows)}")


@needs_nvrtc
def test_every_small_workload_yields_verified_compiling_candidates(capsys):
    """CI: per workload, candidates drawn until one passes VerifyGPUCode; each compiles."""
    _soak("small", 1, 48, None, workloads.names(), capsys)


@needs_nvrtc
def test_every_standard_workload_yields_spaces(capsys):
    """CI: every standard-size workload yields CUDA design spaces; for a few, candidates pass
    VerifyGPUCode and compile (the whole suite at this size: the slow soak below; its big
    unrolled kernels take NVRTC up to ~20 s each here)."""
    for name in workloads.names():
        assert context(workloads.get(name, "standard").func, target="cuda").generate_design_space(), name
    _soak("standard", 1, 48, None, ("GMM", "C2D", "SFM"), capsys)


@pytest.mark.slow
@needs_nvrtc
@pytest.mark.parametrize("size", ["small", "standard"])
def test_soak_many_candidates_per_workload(size, capsys):
    """RAYTUNE_CUDA_SOAK candidates accepted per workload, every one compiled. Unset (CI): 2 per
    small workload, and no standard-size soak (its unrolled kernels take NVRTC up to ~20 s each
    on a 2-core machine; the standard size's spaces are checked by the test above)."""
    soak = os.environ.get("RAYTUNE_CUDA_SOAK")
    if soak is None and size == "standard":
        pytest.skip("standard-size CUDA soak: set RAYTUNE_CUDA_SOAK=N to run it")
    want = int(soak or "2")
    _soak(size, want, 40 * want, None, workloads.names(), capsys)


@needs_gxx
@pytest.mark.parametrize("name", ["GMM", "CBR", "SFM"])
def test_sampled_candidates_match_numpy(name):
    w = workloads.get(name, "small")
    ok, _ = replays(context(w.func, target="cuda"), 2, seed=11)
    for sch in ok[:1]:
        _emulate(w, sch)


@pytest.mark.slow
@needs_gxx
def test_every_small_workload_samples_match_numpy():
    for name in workloads.names():
        w = workloads.get(name, "small")
        ok, _ = replays(context(w.func, target="cuda"), 3, seed=13)
        for sch in ok[:2]:
            _emulate(w, sch)


def _row_sum(n=4, m=256):
    A = te.placeholder((n, m), name="A")
    k = te.reduce_axis(m, "k")
    B = te.compute((n,), lambda i: te.sum(A[i, k], axis=k), name="B")
    return te.create_prim_func([A, B])


def test_cross_thread_reduction_binds_the_reduction_to_threads():
    ctx = context(_row_sum(), target="cuda", postprocs=[])
    spaces = ctx.generate_design_space()
    assert len(spaces) == 2
    cross, plain = spaces
    assert _bound(cross) == {"blockIdx.x": 1, "threadIdx.x": 1}
    (sample,) = [i for i in cross.trace.insts if i.kind.name == "SampleCategorical" and 256 in i.attrs[0]]
    assert list(sample.attrs[0]) == [4, 8, 16, 32, 64, 128, 256]  # within the reduction's 256
    assert "__shfl_down_sync" in codegen_cuda(cross.mod.entry_func(), "cuda").source
    assert _bound(plain) == {"blockIdx.x": 1, "threadIdx.x": 1}  # AutoBind: threads over rows
    assert CrossThreadReduction(thread_extents=[8]).thread_extents == [8]


def _add(n):
    A = te.placeholder((n,), name="A")
    B = te.compute((n,), lambda i: A[i] + 1.0, name="B")
    return te.create_prim_func([A, B])


def test_auto_bind_and_rewrite_unbound_block():
    sch = ms.Schedule(_add(100))
    AutoBind().apply(sch, sch.get_block("B"))
    (draw,) = [i for i in sch.trace.insts if i.kind.name == "SampleCategorical"]
    assert list(draw.attrs[0]) == [32, 64]  # thread counts above the extent are dropped
    big = ms.Schedule(_add(256 * 1024 * 4))
    assert RewriteUnboundBlock().apply(big)
    loops = [f for f in collect(big.mod.entry_func().body, For)]
    assert [(f.thread_tag or f.kind, f.extent.value) for f in loops] == [
        ("blockIdx.x", 256), ("threadIdx.x", 1024), ("serial", 4)]
    small = ms.Schedule(_add(100))
    assert RewriteUnboundBlock().apply(small)
    assert _bound(small) == {"blockIdx.x": 1, "threadIdx.x": 1}


@needs_gxx
@pytest.mark.parametrize("n", [5, 100, 2 * 8 * 3 + 5])
def test_unbound_blocks_run_correctly(n):
    """Threads only, blocks x threads, and blocks x threads looping (2 blocks of 8 threads)."""
    from types import SimpleNamespace

    from raytune_ms.testing.cuda_emulator import EmulatedModule

    sch = ms.Schedule(_add(n))
    post = RewriteUnboundBlock(max_threadblocks=2)
    post._initialize_with_tune_context(SimpleNamespace(target=ms.Target("cuda -max-threads-per-block=8")))
    assert post.apply(sch)
    a = np.random.default_rng(0).random(n, dtype=np.float32)
    b = np.zeros_like(a)
    EmulatedModule(codegen_cuda(sch.mod.entry_func(), "cuda"))(a, b)
    np.testing.assert_allclose(b, a + 1)


def test_cooperative_fetch_is_spread_over_the_threads():
    w = workloads.get("GMM", "small")
    ctx = context(w.func, target="cuda", postprocs=[])
    (space,) = ctx.generate_design_space()
    sch = space.copy()
    assert RewriteCooperativeFetch().apply(sch)
    func = sch.mod.entry_func()
    assert not [f for f in collect(func.body, For) if f.annotation(COOPERATIVE_FETCH_KEY) is not None]
    threads = {f.extent.value for f in collect(func.body, For) if f.thread_tag == "threadIdx.x"}
    assert len(threads) == 1  # the fetches use the block's thread count


def test_mutator_outputs_replay_and_verify():
    """Mutations of GMM (tiles, fetch lengths, unroll) and SFM (thread extents) candidates
    replay, and most pass the postprocessors."""
    from raytune_ms.search_strategy.search_strategy import candidate_from_schedule

    seen, verified = Counter(), 0
    for name in ("GMM", "SFM"):
        ctx = context(workloads.get(name, "small").func, target="cuda", mutator_probs="from-target")
        ok, _ = replays(ctx, 4, seed=3)
        for mutator in ctx.space_generator.mutator_probs:
            for seed, sch in enumerate(ok):
                out = mutator.apply(sch.trace, seed)
                if out is None:
                    continue
                seen[type(mutator).__name__] += 1
                fresh = ms.Schedule(ctx.mod, seed=0)
                out.apply_to_schedule(fresh, remove_postproc=True)
                verified += candidate_from_schedule(fresh, ctx.postprocs) is not None
    assert seen["MutateThreadBinding"] and seen["MutateTileSize"] and seen["MutateUnroll"], seen
    assert verified >= sum(seen.values()) // 2, (verified, seen)


def test_mutate_tile_size_moves_a_cooperative_fetch_length():
    w = workloads.get("GMM", "small")
    ctx = context(w.func, target="cuda", mutator_probs={Mutator.create("mutate-tile-size").popitem()[0]: 1.0})
    (mutator,) = ctx.space_generator.mutator_probs
    mutator._initialize_with_tune_context(ctx)
    ok, _ = replays(ctx, 1, seed=5)
    trace = ok[0].trace
    fetch = {i.inputs[1] for i in trace.insts if i.kind.name == "Annotate" and i.attrs[0] == COOPERATIVE_FETCH_KEY}
    changed = set()
    for seed in range(60):
        out = mutator.apply(trace, seed)
        if out is None:
            continue
        for inst, d in out.decisions.items():
            if inst.kind.name == "SampleCategorical" and inst.outputs[0] in fetch and d != trace.decisions.get(inst):
                changed.add(inst.outputs[0])
    assert changed
