"""MultiLevelTilingTensorCore's software pipeline (use_software_pipeline=True: the shared fetches
double-buffered, cp.async on sm_80+) and its mma.sync + ldmatrix intrinsic group: sampled
candidates of GMM, BMM, C2D, a padded GMM and one with a 16-step k loop are correct in the CUDA
emulator (whose cp.async copies land at a random time before their wait, whose threads leave
barriers staggered, and whose ldmatrix/mma.sync follow the PTX ISA lane by lane,
tests/codegen/test_cuda_mma_lanes.py), NVRTC's PTX for compute_80 holds cp.async,
ldmatrix and mma.sync, mutated traces and JSON replays keep the pipeline, and VerifyGPUCode
counts the extra stage's shared memory."""

import re
import shutil

import numpy as np
import pytest

from raytune_ms import te, workloads
from raytune_ms.codegen.c_expr import CodegenError
from raytune_ms.codegen.cuda import codegen_cuda
from raytune_ms.codegen.cuda_pipeline import ASYNC_KEY, ORDER_KEY, STAGE_KEY
from raytune_ms.mutator import MutateTileSize
from raytune_ms.postproc.verify_gpu_code import VerifyGPUCode
from raytune_ms.runtime.nvrtc import compile_cuda, nvrtc_available
from raytune_ms.schedule import Schedule, Trace
from raytune_ms.search_strategy.search_strategy import candidate_from_schedule
from raytune_ms.testing.cuda_emulator import EmulatedModule
from raytune_ms.testing.mutation import init_mutator, mutate_many
from raytune_ms.testing.tensorcore import context, emulate, intrins, samples
from raytune_ms.tir import structural_equal
from raytune_ms.tir.tensor_intrin.cuda_mma import get_mma_intrin_group
from raytune_ms.topi import dense
from raytune_ms.workloads.workload import Workload

needs_nvrtc = pytest.mark.skipif(not nvrtc_available(),
                                 reason="NVRTC not installed (pip install nvidia-cuda-nvrtc-cu12)")
pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="the CUDA emulator needs g++")
SM80 = "cuda -arch=sm_80"
MMA = {"intrin_groups": [get_mma_intrin_group("shared", "global", "float16", "float32", False, False)]}
PIPE = {"use_software_pipeline": True}


def _gmm(n, m, k, batch=1):
    func = te.create_prim_func(dense.batch_matmul_nkkm(batch, n, m, k, "float16", "float32"))
    ref = lambda a, b: [np.matmul(a.astype(np.float64), b.astype(np.float64))]  # noqa: E731
    return Workload("GMM", f"{batch}x{n}x{m}x{k}", func, 2 * batch * n * m * k, ref, rtol=1e-3, atol=1e-3)


def _workload(name):
    if name == "padded":  # pad_einsum to 48x80x64: the pipelined loop runs 1 to 4 steps
        return _gmm(40, 72, 56)
    if name == "GMM-K256":  # pipelines of up to 16 steps: an overwrite before the readers are done shows
        return _gmm(32, 32, 256)
    return workloads.get(name, "small", dtype="float16")


def _pipelined_loops(sch):
    from raytune_ms.tir import For, collect

    return [f for f in collect(sch.mod.entry_func().body, For) if f.annotation(STAGE_KEY) is not None]


VARIANTS = {"pipeline-async": (PIPE, SM80), "pipeline-sync": (PIPE, "cuda"), "mma": (MMA, "cuda"),
            "mma-pipeline-async": ({**MMA, **PIPE}, SM80)}
QUICK = {("padded", "pipeline-async"), ("GMM-K256", "mma-pipeline-async"), ("GMM-K256", "mma")}


@pytest.mark.parametrize("name,variant", [
    pytest.param(name, variant, marks=[] if (name, variant) in QUICK else [pytest.mark.slow])
    for name in ("GMM", "GMM-K256", "BMM", "C2D", "padded") for variant in VARIANTS])
def test_sampled_candidates_are_correct_in_the_emulator(name, variant):
    options, target = VARIANTS[variant]
    w = _workload(name)
    _, scheds = samples(context(w.func, target, **options), 2, seed=3)
    assert scheds, f"{name}: no candidate passed the postprocessors"
    compute = "mma_f16f16f32" if "intrin_groups" in options else "wmma_sync_16x16x16_f16f16f32"
    for sch in scheds:
        assert compute in intrins(sch)
        loops = _pipelined_loops(sch)
        if "use_software_pipeline" in options:
            (loop,) = loops
            assert loop.annotation(STAGE_KEY) == (0, 0, 1) and loop.annotation(ORDER_KEY) == (0, 1, 2)
            assert loop.annotation(ASYNC_KEY) == ((0,) if target == SM80 else None)
        else:
            assert not loops
        # threads leave barriers staggered (5 us per thread index): a missing barrier shows
        ok, err = emulate(sch, w, target, stagger_us=5 if loops else 0)
        assert ok, f"{name}: max error {err}"


def test_pipelined_kernels_double_buffer_and_wait_for_their_copies():
    """Same decisions with and without the pipeline: twice the shared memory (VerifyGPUCode sees
    it), a prologue copy before the steady loop, commit/wait around each step; without the waits
    the emulator's late-landing copies give a wrong result."""
    w = _gmm(64, 64, 64)
    ctx = context(w.func, SM80, vector_load_lens=[8], **PIPE)
    _, (sch,) = samples(ctx, 1, seed=4)
    loop = _pipelined_loops(sch)[0]
    plain = Schedule(w.func)
    keep = [i for i in sch.trace.insts if not (i.kind.name == "Annotate" and i.attrs[0] in (STAGE_KEY, ORDER_KEY,
                                                                                              ASYNC_KEY))]
    Trace(keep, sch.trace.decisions).apply_to_schedule(plain)
    art, base = codegen_cuda(sch.mod.entry_func(), SM80), codegen_cuda(plain.mod.entry_func(), SM80)
    assert art.kernels[0].shared_bytes == 2 * base.kernels[0].shared_bytes
    assert "rtms_cp_async<16>" in art.source and "rtms_cp_async_commit();" in art.source
    # each step commits before the compute: the group it reads may have one newer (the next fetch)
    assert "rtms_cp_async_wait<1>();" in art.source and "rtms_cp_async" not in base.source
    limit = (art.kernels[0].shared_bytes + base.kernels[0].shared_bytes) // 2
    verify = VerifyGPUCode(f"cuda -arch=sm_80 -max-shared-memory-per-block={limit}")
    assert verify.apply(plain) and not verify.apply(sch)
    assert "bytes of shared memory exceed" in verify.last_error
    arrays = w.make_inputs()
    EmulatedModule(art)(*arrays)
    assert w.compare(arrays)[0]
    if loop.extent.value > 1:  # a steady state exists: dropping the waits must be caught
        art.source = re.sub(r"rtms_cp_async_wait<\d+>\(\);", "", art.source)
        arrays = w.make_inputs()
        EmulatedModule(art)(*arrays)
        assert not w.compare(arrays)[0]


@needs_nvrtc
@pytest.mark.parametrize("options", [PIPE, {**MMA, **PIPE}], ids=["wmma", "mma"])
def test_ptx_for_compute_80_has_cp_async_and_mma(options):
    w = _gmm(128, 128, 128)
    _, scheds = samples(context(w.func, SM80, vector_load_lens=[8], **options), 2, seed=2)
    assert scheds
    for n, sch in enumerate(scheds):
        art = codegen_cuda(sch.mod.entry_func(), SM80)
        text = compile_cuda(art.source, "compute_80", f"pipe{n}")[0].decode()
        assert "cp.async.cg.shared.global" in text and "cp.async.commit_group" in text
        assert "cp.async.wait_group" in text
        if "intrin_groups" in options:
            assert "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32" in text
            assert "ldmatrix.sync.aligned.m8n8.x4.shared.b16" in text
            assert "ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16" in text
        # before sm_80 the same source builds, with plain copies
        assert "cp.async" not in compile_cuda(art.source, "compute_75", f"old{n}")[0].decode()


@pytest.mark.parametrize("options", [PIPE, {**MMA, **PIPE}], ids=["wmma", "mma"])
def test_mutated_and_json_replayed_traces_keep_the_pipeline(options):
    w = _gmm(64, 64, 64)
    ctx = context(w.func, SM80, **options)
    _, (sch,) = samples(ctx, 1)
    again = Schedule(w.func)
    Trace.from_json(sch.trace.as_json()).apply_to_schedule(again)
    assert structural_equal(again.mod, sch.mod)
    mutator = init_mutator(MutateTileSize(), w.func, target=SM80)
    accepted = []
    for trace in mutate_many(mutator, sch.trace, range(8)):
        new = Schedule(w.func, seed=0)
        trace.apply_to_schedule(new, remove_postproc=True)
        cand = candidate_from_schedule(new, ctx.postprocs)
        if cand is not None:
            accepted.append(cand.sch)
    assert accepted and all(_pipelined_loops(s) for s in accepted)
    ok, err = emulate(accepted[-1], w, SM80)
    assert ok, f"max error {err}"


def test_a_bad_pipeline_annotation_names_the_loop():
    w = _gmm(32, 32, 32)
    _, (sch,) = samples(context(w.func, SM80, **PIPE), 1)
    name = _pipelined_loops(sch)[0].loop_var.name
    (loop,) = [lp for lp in sch.get_loops(sch.get_block("C")) if sch.get(lp).loop_var.name == name]
    sch.annotate(loop, STAGE_KEY, [0, 1])
    with pytest.raises(CodegenError, match=r"pipelined loop .*3 statements in its body, but stages \[0, 1\]"):
        codegen_cuda(sch.mod.entry_func(), SM80)
    sch.annotate(loop, STAGE_KEY, [1, 0, 0])
    with pytest.raises(CodegenError, match="reads .* before statement"):
        codegen_cuda(sch.mod.entry_func(), SM80)


def test_deeper_stages_keep_more_copies_in_flight():
    """Stages [0, 0, 2] (three copies of each shared tile, two groups in flight) on the same
    candidate: three times the shared memory, wait<2>, the same result."""
    w = _gmm(32, 32, 96)
    _, (sch,) = samples(context(w.func, SM80, vector_load_lens=[8], **PIPE), 1, seed=4)
    base = codegen_cuda(sch.mod.entry_func(), SM80).kernels[0].shared_bytes
    pipelined = _pipelined_loops(sch)[0]
    assert pipelined.extent.value == 3  # prologue t = 0, 1; steady state t = 2; epilogue t = 3, 4
    (loop,) = [lp for lp in sch.get_loops(sch.get_block("C")) if sch.get(lp).loop_var.name == pipelined.loop_var.name]
    sch.annotate(loop, STAGE_KEY, [0, 0, 2])
    art = codegen_cuda(sch.mod.entry_func(), SM80)
    assert art.kernels[0].shared_bytes == 3 * base // 2 and "rtms_cp_async_wait<2>();" in art.source
    arrays = w.make_inputs()
    EmulatedModule(art)(*arrays)
    ok, err = w.compare(arrays)
    assert ok, f"max error {err}"


def test_pipelined_gmm_1024_draws_fit_the_shared_memory():
    """GMM-1024 on sm_80 (48 KiB per block), pipelined: the tile bound counts A's and B's tiles
    twice (the pipeline's buffers) and in 16s (the intrinsic's tile), so no draw exceeds the
    shared memory (before, 29 of 300 draws did, up to 128 KiB: k was bounded below 16, i and j
    not at all); VerifyGPUCode still rejects what exceeds other limits (threads), naming them."""
    w = _gmm(1024, 1024, 1024)
    ctx = context(w.func, SM80, **PIPE)
    (space,) = ctx.generate_design_space()
    bounded = [i.attrs for i in space.trace.insts if i.kind.name == "SamplePerfectTile" and i.attrs[0] == 2]
    # i, j, k split [outer, tile <= bound] first, in 16s: 2 copies x 2 bytes x 16 x (256 + 512) = 48 KiB
    assert {(2, 16), (2, 32), (2, 1)} <= set(bounded), bounded
    (verify,) = [p for p in ctx.postprocs if isinstance(p, VerifyGPUCode)]
    errors, largest = [], 0
    for seed in range(40):
        sch = Schedule(w.func, seed=seed)
        Trace(space.trace.simplified(remove_postproc=True).insts, {}).apply_to_schedule(sch, remove_postproc=True)
        cand = candidate_from_schedule(sch, ctx.postprocs)
        if cand is None:
            errors.append(verify.last_error)
            continue
        largest = max(largest, codegen_cuda(cand.sch.mod.entry_func(), SM80).kernels[0].shared_bytes)
    assert not [e for e in errors if "shared memory" in e], errors
    assert all("max_threads_per_block=1024" in e for e in errors), errors
    assert 24 << 10 < largest <= 48 << 10  # the bound is not much tighter than the limit


def test_a_guarded_cooperative_fetch_allocates_only_what_it_writes():
    """A fetch whose threads times vector lanes outnumber its tile's elements is guarded
    (`if (fused < elements)`); the shared array holds `elements` per pipeline copy, not the
    thread loop's span (compaction narrows the loop ranges by the guard)."""
    w = _gmm(1024, 1024, 1024)
    _, scheds = samples(context(w.func, SM80, vector_load_lens=[8], **PIPE), 12, seed=0)
    guarded = 0
    for sch in scheds:
        src = codegen_cuda(sch.mod.entry_func(), SM80).source
        for name in ("A_shared", "B_shared"):
            shape = [int(x) for x in re.search(rf"shared buffer {name} \[([\d, ]+)\]", src).group(1).split(",")]
            guard = re.search(rf"< (\d+)\)\) \{{\n\s*(rtms_cp_async<\d+>\(&)?{name}\[", src)
            if guard:
                guarded += 1
                assert int(np.prod(shape[1:])) == int(guard.group(1)), (name, shape, guard.group(1))
    assert guarded


@pytest.mark.parametrize("target", [SM80, "cuda"], ids=["async", "sync"])
def test_padded_fetches_are_vector_copies_with_zero_fill(target):
    """100x72x120 + bias + relu, padded to 112x80x128 and the padding folded into the shared
    fetches as selects with zero: pipelined on sm_80 each fetch is cp.async with src-size 0
    where the select is zero (the zero-filling form), without cp.async a vector copy or
    zeros; no scalar fetch is left. The emulator's late-landing copies and zero fills give the
    numpy result (a candidate of 8 pipeline steps reuses each shared copy, so a fill left out
    would leave an earlier step's k values in the padding); NVRTC's PTX has the 4-operand
    cp.async for compute_80."""
    from raytune_ms.testing.tensorcore_programs import fp16_gemm, fp16_gemm_inputs, fp16_gemm_reference

    func = fp16_gemm(100, 72, 120, epilogue=True)
    _, scheds = samples(context(func, target, vector_load_lens=[8], **PIPE), 6, seed=1)
    assert max(loop.extent.value for sch in scheds for loop in _pipelined_loops(sch)) >= 3
    for n, sch in enumerate(scheds):
        art = codegen_cuda(sch.mod.entry_func(), target)
        fetches = re.findall(r"\n\s*(.*_pad_shared\[[^\n]*)", art.source)
        assert fetches and not [x for x in fetches if "__half2float(" in x], fetches  # no scalar select copy
        if target == SM80:
            assert "rtms_cp_async_zfill<16>" in art.source
        else:
            assert "rtms_cp_async" not in art.source and ": int4{}" in art.source
        arrays = fp16_gemm_inputs(func, n)
        EmulatedModule(art, stagger_us=5)(*arrays)
        np.testing.assert_allclose(arrays[-1], fp16_gemm_reference(arrays, epilogue=True), rtol=1e-3, atol=1e-3)
        if nvrtc_available() and target == SM80:
            ptx = compile_cuda(art.source, "compute_80", f"zfill{n}")[0].decode()
            assert re.search(r"cp\.async\.cg\.shared\.global \[%r\d+\], \[%rd\d+\], 16, %r\d+;", ptx), ptx[-2000:]
            assert "cp.async" not in compile_cuda(art.source, "compute_75", f"zfill_old{n}")[0].decode()


@pytest.mark.parametrize("options", [{}, MMA], ids=["wmma", "mma"])
def test_three_stage_pipelines_are_sampled_correct_and_bounded(options):
    """pipeline_stages=3: stages [0, 0, 2], three copies of each shared tile (the tile bound
    counts them: the 1024 GMM's bounds are tighter than with 2), two groups in flight
    (wait<2>); sampled candidates of a 16-step k loop and of a 1- or 2-step one (shorter than
    the pipeline: its prologue has a step without a fetch, which was left out) are correct in
    the emulator with late copies and staggered barriers, and NVRTC builds them for compute_80."""
    scheds = []
    for shape in ((32, 32, 256), (32, 32, 64)):
        w = _gmm(*shape)
        ctx = context(w.func, SM80, vector_load_lens=[8], pipeline_stages=3, **options, **PIPE)
        scheds += [(w, sch) for sch in samples(ctx, 4, seed=3)[1]]
    extents = [loop.extent.value for _, sch in scheds for loop in _pipelined_loops(sch)]
    assert min(extents) < 2 < max(extents), extents
    for n, (w, sch) in enumerate(scheds):
        (loop,) = _pipelined_loops(sch)
        assert loop.annotation(STAGE_KEY) == (0, 0, 2) and loop.annotation(ASYNC_KEY) == (0,)
        art = codegen_cuda(sch.mod.entry_func(), SM80)
        if loop.extent.value > 2:
            assert "rtms_cp_async_wait<2>();" in art.source
        arrays = w.make_inputs()
        EmulatedModule(art, stagger_us=5)(*arrays)
        ok, err = w.compare(arrays)
        assert ok, f"max error {err}"
        if nvrtc_available():
            assert "cp.async.wait_group 2" in compile_cuda(art.source, "compute_80", f"three{n}")[0].decode()
    big = _gmm(1024, 1024, 1024).func

    def bounds(stages):
        (space,) = context(big, SM80, pipeline_stages=stages, **PIPE).generate_design_space()
        return [i.attrs[1] for i in space.trace.insts if i.kind.name == "SamplePerfectTile" and i.attrs[0] == 2]

    assert sum(bounds(3)) < sum(bounds(2))
    with pytest.raises(ValueError, match="pipeline_stages"):
        context(big, SM80, pipeline_stages=1, **PIPE)
