"""The "cuda-tensorcore" design space: fp16 matmuls tile onto wmma intrinsics (fragments loaded
from shared memory, mma_sync, fill, store), sampled candidates pass VerifyGPUCode, compile
through NVRTC to PTX with wmma instructions for sm_80 and sm_90, and compute the right result
in the CPU emulator (whose nvcuda::wmma shim executes the intrinsics); blocks that do not match
fall back to the plain CUDA space."""

import shutil

import numpy as np
import pytest

from raytune_ms import te, workloads
from raytune_ms.codegen.cuda import codegen_cuda
from raytune_ms.mutator import Mutator
from raytune_ms.postproc import Postproc
from raytune_ms.runner.cuda_evaluate import gpu_unavailable_reason
from raytune_ms.runtime.nvrtc import compile_cuda, nvrtc_available
from raytune_ms.schedule import Schedule, ScheduleError, Trace
from raytune_ms.schedule_rule import ScheduleRule
from raytune_ms.search_strategy.search_strategy import candidate_from_schedule
from raytune_ms.space_generator.post_order_apply import PostOrderApply
from raytune_ms.testing.interpreter import interpret
from raytune_ms.testing.tensorcore import samples
from raytune_ms.tir import Block, For, collect
from raytune_ms.tir.tensor_intrin import TENSORIZED_KEY, TensorIntrin, TensorIntrinError
from raytune_ms.topi import conv_nhwc, dense, reference
from raytune_ms.tune_context import TuneContext

needs_nvrtc = pytest.mark.skipif(not nvrtc_available(),
                                 reason="NVRTC not installed (pip install nvidia-cuda-nvrtc-cu12)")
needs_gxx = pytest.mark.skipif(shutil.which("g++") is None, reason="the CUDA emulator needs g++")
GPU_REASON = gpu_unavailable_reason()


def _gmm(n=64, m=None, k=None, dtype="float16", out_dtype="float32", batch=1):
    return te.create_prim_func(dense.batch_matmul_nkkm(batch, n, m or n, k or n, dtype, out_dtype))


def _space():
    return PostOrderApply(sch_rules="cuda-tensorcore", postprocs="cuda-tensorcore", mutator_probs="cuda-tensorcore")


def _context(func):
    return TuneContext(func, target="cuda", space_generator=_space(), rand_state=5)


_samples = samples


def _intrins(sch):
    return sorted(f.annotation(TENSORIZED_KEY) for f in collect(sch.mod.entry_func().body, For)
                  if f.annotation(TENSORIZED_KEY))


def _inputs(n, m, k, batch=1, out_dtype="float32"):
    rng = np.random.default_rng(0)
    a = (rng.standard_normal((batch, n, k)) * 0.5).astype(np.float16)
    b = (rng.standard_normal((batch, k, m)) * 0.5).astype(np.float16)
    return a, b, np.zeros((batch, n, m), out_dtype)


def _check(c, a, b, out_dtype):
    ref = np.matmul(a.astype(np.float64), b.astype(np.float64))
    tol = 1e-3 if out_dtype == "float32" else 3e-2 * np.abs(ref).max()
    np.testing.assert_allclose(c.astype(np.float64), ref, rtol=1e-2 if out_dtype == "float16" else 1e-3, atol=tol)


def test_tensorcore_defaults_follow_the_reference():
    rules = [type(r).__name__ for r in ScheduleRule.create("cuda-tensorcore")]
    assert rules[:3] == ["ApplyCustomRule", "MultiLevelTilingTensorCore", "MultiLevelTilingCuda"]
    assert rules[3:] == [type(r).__name__ for r in ScheduleRule.create("cuda")][2:]
    mltc = ScheduleRule.create("cuda-tensorcore")[1]
    assert mltc.structure == "SSSRRSRS" and mltc.tile_binds == ["blockIdx.y", "blockIdx.x", "threadIdx.y"]
    assert [type(p).__name__ for p in Postproc.create("cuda-tensorcore")][-2:] == ["RewriteTensorize", "VerifyGPUCode"]
    assert {type(m).__name__: p for m, p in Mutator.create("cuda-tensorcore").items()} == {
        "MutateTileSize": 0.90, "MutateUnroll": 0.08, "MutateThreadBinding": 0.02}
    with pytest.raises(TensorIntrinError, match="unknown tensor intrinsic 'nope'"):
        TensorIntrin.get("nope")
    with pytest.raises(TensorIntrinError, match="already registered"):
        TensorIntrin.register("wmma_fill_16x16x16_f32", None, None)


C2D = dict(N=1, H=16, W=16, CI=32, CO=32, K=3, stride=1, padding=1)


def _c2d(out_dtype="float32", **kw):
    return te.create_prim_func(conv_nhwc.conv2d_nhwc(**{**C2D, **kw}, dtype="float16", out_dtype=out_dtype))


def _c2d_inputs(out_dtype="float32"):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((1, 16, 16, 32)) * 0.5).astype(np.float16)
    w = (rng.standard_normal((3, 3, 32, 32)) * 0.5).astype(np.float16)
    return x, w, np.zeros((1, 16, 16, 32), out_dtype)


@needs_gxx
def test_fp16_conv2d_is_an_implicit_gemm_on_tensor_cores():
    from raytune_ms.testing.cuda_emulator import EmulatedModule

    _, samples = _samples(_context(_c2d()), 2)
    assert samples
    for sch in samples:
        assert "wmma_sync_16x16x16_f16f16f32" in _intrins(sch)
        x, w, out = _c2d_inputs()
        EmulatedModule(codegen_cuda(sch.mod.entry_func(), "cuda"))(x, w, out)
        ref = reference.conv2d_nhwc(x.astype(np.float64), w.astype(np.float64), **C2D)[0]
        np.testing.assert_allclose(out, ref, rtol=1e-3, atol=1e-3)


@needs_gxx
@pytest.mark.parametrize("out_dtype,shape", [("float32", (32, 64, 48, 1)), ("float16", (32, 48, 32, 2))])
def test_fp16_gmm_space_is_tensorized_and_correct(out_dtype, shape):
    from raytune_ms.testing.cuda_emulator import EmulatedModule

    n, m, k, batch = shape
    ctx = _context(_gmm(n, m, k, out_dtype=out_dtype, batch=batch))
    space, samples = _samples(ctx, 2)
    insts = [i for i in space.trace.insts if i.kind.name == "CacheRead"] + \
            [i for i in space.trace.insts if i.kind.name == "CacheWrite"]
    assert sorted(i.attrs[-1] for i in insts) == ["shared", "shared", "wmma.accumulator", "wmma.matrix_a",
                                                    "wmma.matrix_b"]
    assert samples, "no sampled candidate passed the postprocessors"
    code = "f32" if out_dtype == "float32" else "f16"
    for sch in samples:
        assert set(_intrins(sch)) == {"wmma_load_16x16x16_f16_a_shared", "wmma_load_16x16x16_f16_b_shared",
                                      f"wmma_sync_16x16x16_f16f16{code}", f"wmma_fill_16x16x16_{code}",
                                      f"wmma_store_16x16x16_{code}_global"}
        art = codegen_cuda(sch.mod.entry_func(), "cuda")
        assert "#include <mma.h>" in art.source and "nvcuda::wmma::mma_sync" in art.source
        assert art.kernels[0].block[0] == 32  # one warp's lanes per threadIdx.y
    a, b, c = _inputs(n, m, k, batch, out_dtype)
    EmulatedModule(codegen_cuda(samples[-1].mod.entry_func(), "cuda"))(a, b, c)
    _check(c, a, b, out_dtype)
    # the scalar reading of a tensorized program (its description loops, by the IR interpreter)
    a, b, c = _inputs(n, m, k, batch, out_dtype)
    _check(interpret(samples[0].mod.entry_func(), [a, b, c])[-1], a, b, out_dtype)


@needs_gxx
def test_an_epilogue_is_fused_after_a_shared_staging():
    """GMM + relu: the fragments go to a shared tile (the store intrinsic to shared), and the
    relu is inlined into the warp's copy of that tile to global memory."""
    from raytune_ms.testing.cuda_emulator import EmulatedModule

    a_, b_, c_ = dense.batch_matmul_nkkm(1, 64, 64, 64, "float16", "float32")
    relu = te.compute(c_.shape, lambda x, i, j: te.max(c_[x, i, j], 0.0), name="relu")
    _, samples = _samples(_context(te.create_prim_func([a_, b_, relu])), 2)
    assert samples
    for sch in samples:
        assert "wmma_store_16x16x16_f32_shared" in _intrins(sch)
        assert [b.name for b in collect(sch.mod.entry_func().body, Block) if b.name == "relu"] == []  # inlined
        a, b, c = _inputs(64, 64, 64)
        EmulatedModule(codegen_cuda(sch.mod.entry_func(), "cuda"))(a, b, c)
        np.testing.assert_allclose(c, np.maximum(np.matmul(a.astype(np.float64), b.astype(np.float64)), 0),
                                   rtol=1e-3, atol=1e-3)


@needs_nvrtc
@pytest.mark.parametrize("arch", ["compute_80", "compute_90"])
@pytest.mark.parametrize("op", ["GMM", "C2D"])
def test_tensorcore_candidates_compile_to_ptx_with_wmma(arch, op):
    _, samples = _samples(_context(_gmm(128) if op == "GMM" else _c2d()), 3, seed=2)
    assert samples
    for n, sch in enumerate(samples):
        art = codegen_cuda(sch.mod.entry_func(), "cuda")
        ptx, kind = compile_cuda(art.source, arch, f"tc{n}")
        assert kind == "ptx" and ptx.count(b".entry") == len(art.kernels)
        text = ptx.decode()
        assert f".target sm_{arch[-2:]}" in text
        mma = text.count("wmma.mma.sync")
        loads = text.count("wmma.load.a.sync") + text.count("wmma.load.b.sync")
        stores = text.count("wmma.store.d.sync")
        print(f"{op} {arch} candidate {n}: {mma} wmma.mma, {loads} wmma.load, {stores} wmma.store in the PTX")
        assert mma >= 1 and loads >= 2 and stores >= 1


@needs_gxx
def test_a_gmm_not_a_multiple_of_16_is_padded_onto_tensor_cores():
    """100x200x72: pad_einsum (a trace instruction) pads i, j, k to 112x208x80 before the tiling;
    the padded copies are read in the shared fetches and the cut-back is the write-back's
    predicate: one kernel; correct in the emulator, and NVRTC's PTX for sm_80 and sm_90 holds
    wmma."""
    from raytune_ms.testing.cuda_emulator import EmulatedModule

    n, m, k = 100, 200, 72
    space, samples = _samples(_context(_gmm(n, m, k)), 2)
    (pad,) = [i for i in space.trace.insts if i.kind.name == "PadEinsum"]
    assert pad.attrs == ((1, 16, 16, 16),)
    assert len(samples) == 2
    for sch in samples:
        assert "wmma_sync_16x16x16_f16f16f32" in _intrins(sch)
    art = codegen_cuda(samples[0].mod.entry_func(), "cuda")
    assert len(art.kernels) == 1  # A_pad, B_pad and C_pad_unpad folded into the GEMM
    a, b, c = _inputs(n, m, k)
    EmulatedModule(art)(a, b, c)
    _check(c, a, b, "float32")
    if nvrtc_available():
        for arch in ("compute_80", "compute_90"):
            ptx, _ = compile_cuda(art.source, arch, "padded")
            assert ptx.count(b"wmma.mma.sync") >= 1 and ptx.count(b".entry") == 1


@needs_gxx
@pytest.mark.parametrize("cfg,steps", [
    (dict(N=1, H=6, W=14, CI=3, CO=24, K=3, stride=1, padding=1), {"PadEinsum"}),
    (dict(N=1, H=9, W=9, CI=8, CO=24, K=3, stride=2, padding=1), {"ReIndex", "TransformLayout", "PadEinsum"}),
], ids=["3-channels", "stride-2"])
def test_convs_are_padded_and_reindexed_onto_tensor_cores(cfg, steps):
    """Stride 1 with 3 input channels: ci 3 -> 16, co 24 -> 32, w 14 -> 16 by pad_einsum. Stride
    2: the input window is first copied to an im2col tensor [n, h, rh, rw, w, c] (reindex +
    transform_layout), then ci 8 -> 16 and co 24 -> 32. Tensorized, correct in the emulator."""
    from raytune_ms.testing.cuda_emulator import EmulatedModule

    func = te.create_prim_func(conv_nhwc.conv2d_nhwc(**cfg, dtype="float16", out_dtype="float32"))
    _, (sch,) = _samples(_context(func), 1)
    assert "wmma_sync_16x16x16_f16f16f32" in _intrins(sch)
    assert steps <= {i.kind.name for i in sch.trace.insts}
    rng = np.random.default_rng(0)
    x, w = ((rng.standard_normal(p.shape) * 0.5).astype(np.float16) for p in func.params[:2])
    out = np.zeros(func.params[-1].shape, np.float32)
    EmulatedModule(codegen_cuda(sch.mod.entry_func(), "cuda"))(x, w, out)
    ref = reference.conv2d_nhwc(x.astype(np.float64), w.astype(np.float64), **cfg)[0]
    np.testing.assert_allclose(out, ref, rtol=1e-3, atol=1e-3)


@needs_gxx
def test_a_transposed_a_is_reindexed_onto_tensor_cores():
    """C[i, j] = A[k, i] * B[k, j] with i = 40: A is copied to [i, k] (reindex + transform_layout)
    and i padded to 48; correct in the emulator."""
    from raytune_ms.testing.cuda_emulator import EmulatedModule

    a = te.placeholder((48, 40), "float16", name="A")
    b = te.placeholder((48, 64), "float16", name="B")
    k = te.reduce_axis(48, "k")
    c = te.compute((40, 64), lambda i, j: te.sum(te.cast("float32", a[k, i]) * te.cast("float32", b[k, j]), axis=k),
                   name="C")
    _, (sch,) = _samples(_context(te.create_prim_func([a, b, c])), 1)
    assert "wmma_sync_16x16x16_f16f16f32" in _intrins(sch)
    rng = np.random.default_rng(0)
    x, y = (rng.standard_normal(s).astype(np.float16) for s in ((48, 40), (48, 64)))
    out = np.zeros((40, 64), np.float32)
    EmulatedModule(codegen_cuda(sch.mod.entry_func(), "cuda"))(x, y, out)
    np.testing.assert_allclose(out, x.astype(np.float64).T @ y.astype(np.float64), rtol=1e-3, atol=1e-3)


@needs_gxx
@pytest.mark.parametrize("out_dtype", ["float32", "float16"])
def test_an_nt_gemm_keeps_b_in_col_major_fragments(out_dtype):
    """C[i, j] = A[i, k] * B[j, k] (torch's x @ W.T) in the default space: the transposed-B wmma
    group takes B as it is stored (no ReIndex or TransformLayout), its tiles loaded into col_major
    matrix_b fragments; correct in the emulator, and the PTX loads B column-major."""
    from raytune_ms.testing.cuda_emulator import EmulatedModule

    a = te.placeholder((48, 32), "float16", name="A")
    b = te.placeholder((64, 32), "float16", name="B")
    k = te.reduce_axis(32, "k")
    cast = (lambda x: x) if out_dtype == "float16" else (lambda x: te.cast(out_dtype, x))
    c = te.compute((48, 64), lambda i, j: te.sum(cast(a[i, k]) * cast(b[j, k]), axis=k), name="C")
    _, scheds = _samples(_context(te.create_prim_func([a, b, c])), 2)
    assert scheds
    code = {"float32": "f32", "float16": "f16"}[out_dtype]
    rng = np.random.default_rng(0)
    x, y = ((rng.standard_normal(s) * 0.5).astype(np.float16) for s in ((48, 32), (64, 32)))
    for sch in scheds:
        assert {f"wmma_sync_16x16x16_f16f16{code}_trans", "wmma_load_16x16x16_f16_b_trans_shared"} <= set(_intrins(sch))
        assert not {"ReIndex", "TransformLayout"} & {i.kind.name for i in sch.trace.insts}
        art = codegen_cuda(sch.mod.entry_func(), "cuda")
        assert "matrix_b, 16, 16, 16, __half, nvcuda::wmma::col_major>" in art.source
        out = np.zeros((48, 64), out_dtype)
        EmulatedModule(art)(x, y, out)
        _check(out, x, y.T, out_dtype)
        if nvrtc_available():
            ptx, _ = compile_cuda(art.source, "compute_80", "nt")
            assert b"wmma.load.b.sync.aligned.col" in ptx and b"wmma.mma.sync.aligned.row.col" in ptx


@needs_gxx
@pytest.mark.parametrize("trans_b", [False, True], ids=["NN", "NT"])
def test_mma_groups_accumulate_in_fp16(trans_b):
    """An fp16 GEMM accumulated in fp16 with a relu after it, on the mma.sync groups (both B
    layouts, both accumulators, pipelined): the fp16 group is picked, the accumulator is stored
    to a shared tile for the epilogue, correct in the emulator; the PTX has the f16 mma.sync."""
    from raytune_ms.testing.cuda_emulator import EmulatedModule
    from raytune_ms.testing.tensorcore import context
    from raytune_ms.tir.tensor_intrin.cuda_mma import get_mma_intrin_group

    groups = [get_mma_intrin_group(out_dtype=o, trans_b=t) for o in ("float32", "float16") for t in (False, True)]
    a = te.placeholder((48, 32), "float16", name="A")
    b = te.placeholder((64, 32) if trans_b else (32, 64), "float16", name="B")
    k = te.reduce_axis(32, "k")
    c = te.compute((48, 64), lambda i, j: te.sum(a[i, k] * (b[j, k] if trans_b else b[k, j]), axis=k), name="C")
    e = te.compute((48, 64), lambda i, j: te.max(c[i, j], te.const(0.0, "float16")), name="E")
    func = te.create_prim_func([a, b, e])
    _, scheds = _samples(context(func, "cuda -arch=sm_80", intrin_groups=groups, use_software_pipeline=True), 2)
    assert scheds
    rng = np.random.default_rng(0)
    x, y = ((rng.standard_normal(p.shape) * 0.5).astype(np.float16) for p in func.params[:2])
    ref = np.maximum(x.astype(np.float64) @ (y.T if trans_b else y).astype(np.float64), 0)
    for sch in scheds:
        assert {"mma_f16f16f16" + ("_trans_b" if trans_b else ""), "mma_store_16x16_f16_shared"} <= set(_intrins(sch))
        art = codegen_cuda(sch.mod.entry_func(), "cuda -arch=sm_80")
        out = np.zeros((48, 64), np.float16)
        EmulatedModule(art)(x, y, out)
        np.testing.assert_allclose(out.astype(np.float64), ref, rtol=1e-2, atol=3e-2 * ref.max())
        if nvrtc_available():
            ptx, _ = compile_cuda(art.source, "compute_80", "f16acc")
            assert b"mma.sync.aligned.m16n8k16.row.col.f16.f16.f16.f16" in ptx


@needs_gxx
def test_a_torch_fp16_linear_runs_on_tensor_cores_with_its_weight_as_stored():
    """torch.nn.Linear + ReLU in fp16 through extract_tasks: an NT GEMM (x @ W.T) accumulated in
    fp16 with a bias + relu epilogue. The default space tensorizes it with the transposed-B wmma
    group (W read [N, K], no re-laid-out copy), the epilogue in the same kernel; correct in the
    emulator against torch."""
    torch = pytest.importorskip("torch")
    from raytune_ms.testing.cuda_emulator import EmulatedModule
    from raytune_ms.torch_integration import extract_tasks

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 48), torch.nn.ReLU()).half()
    x = torch.randn(32, 64).half()
    (task,) = extract_tasks(model, (x,), "cuda -arch=sm_80")
    _, scheds = _samples(TuneContext(task.mod, target="cuda -arch=sm_80", space_generator=_space(), rand_state=5), 2)
    assert scheds
    weight, bias = (p.detach() for p in model[0].parameters())
    ref = torch.relu(x.float() @ weight.float().T + bias.float()).numpy()
    for sch in scheds:
        assert "wmma_sync_16x16x16_f16f16f16_trans" in _intrins(sch)
        assert not {"ReIndex", "TransformLayout"} & {i.kind.name for i in sch.trace.insts}
        art = codegen_cuda(sch.mod.entry_func(), "cuda -arch=sm_80")
        assert len(art.kernels) == 1
        out = np.zeros((32, 48), np.float16)
        EmulatedModule(art)(x.numpy(), weight.numpy(), bias.numpy(), out)
        np.testing.assert_allclose(out.astype(np.float32), ref, rtol=1e-2, atol=1e-2)


@needs_gxx
def test_block_tiles_are_bounded_to_fit_shared_memory():
    """With 8 KiB of shared memory, the block tiles are drawn within the bounds of
    shared_footprint (an extra two-way split of the bounded loops): every draw passes
    VerifyGPUCode, stays tensorized and is correct."""
    from raytune_ms.testing.cuda_emulator import EmulatedModule

    target = "cuda -max-shared-memory-per-block=8192"
    ctx = TuneContext(_gmm(128), target=target, space_generator=_space(), rand_state=5)
    space, samples = _samples(ctx, 6)
    assert len(samples) == 6

    def tiles(trace):
        return sum(i.kind.name == "SamplePerfectTile" for i in trace.insts)

    roomy = TuneContext(_gmm(128), target="cuda -max-shared-memory-per-block=1048576", space_generator=_space(),
                        rand_state=5)
    (plain,) = roomy.generate_design_space()  # 1 MiB: 128^3 fits unbounded
    assert tiles(space.trace) > tiles(plain.trace)
    a, b, c = _inputs(128, 128, 128)
    for sch in samples:
        art = codegen_cuda(sch.mod.entry_func(), target)
        assert "wmma_sync_16x16x16_f16f16f32" in _intrins(sch) and art.kernels[0].shared_bytes <= 8192
    EmulatedModule(codegen_cuda(samples[0].mod.entry_func(), target))(a, b, c)
    _check(c, a, b, "float32")


def test_unmatched_blocks_fall_back_to_the_cuda_space():
    ctx = _context(_gmm(64, dtype="float32", out_dtype="float32"))
    (space,) = ctx.generate_design_space()
    scopes = sorted(i.attrs[-1] for i in space.trace.insts if i.kind.name in ("CacheRead", "CacheWrite"))
    assert scopes == ["local", "shared", "shared"]  # MultiLevelTilingCuda's
    _, samples = _samples(ctx, 2)
    assert samples and not _intrins(samples[0])


def test_fp32_suite_workloads_get_exactly_the_cuda_space():
    from raytune_ms.testing.design_spaces import context

    for name in workloads.names():
        func = workloads.get(name, "small").func
        plain = [s.trace.as_python() for s in context(func, target="cuda").generate_design_space()]
        tc = [s.trace.as_python() for s in _context(func).generate_design_space()]
        assert tc == plain, name


@needs_gxx
@pytest.mark.parametrize("name", ["GMM", "GMM-1024", "BMM", "C2D"])
def test_suite_fp16_variants(name):
    """The suite's fp16 variants (small) on tensor cores: GMM and GMM-1024; BMM (K=4) with its K
    padded to 16; C2D (3 input channels, stride 2) through an im2col copy of its input window
    (reindex + transform_layout) and its channels padded; all correct."""
    from raytune_ms.testing.cuda_emulator import EmulatedModule

    w = workloads.get(name, "small", dtype="float16")
    _, (sch,) = _samples(_context(w.func), 1)
    assert "wmma_sync_16x16x16_f16f16f32" in _intrins(sch)
    if name == "C2D":
        assert {"ReIndex", "TransformLayout", "PadEinsum"} <= {i.kind.name for i in sch.trace.insts}
    arrays = w.make_inputs()
    EmulatedModule(codegen_cuda(sch.mod.entry_func(), "cuda"))(*arrays)
    ok, err = w.compare(arrays)
    assert ok, f"{name}: max error {err}"


def test_tensorize_rejects_a_nest_that_is_not_the_intrinsic():
    sch = Schedule(_gmm(32))
    block = sch.get_block("C")
    _, i, j, k = sch.get_loops(block)
    with pytest.raises(ScheduleError, match="loop extents"):
        sch.tensorize(i, "wmma_sync_16x16x16_f16f16f32")
    for loop in (i, j, k):
        sch.split(loop, [None, 16])
    loops = sch.get_loops(block)
    sch.reorder(loops[1], loops[3], loops[5], loops[2], loops[4], loops[6])
    with pytest.raises(ScheduleError, match="init"):
        sch.tensorize(block, "wmma_sync_16x16x16_f16f16f32")
    sch.decompose_reduction(block, sch.get_loops(block)[0])
    with pytest.raises(ScheduleError, match="buffer 'C' is float32 in 'global'.*'wmma.accumulator'"):
        sch.tensorize(block, "wmma_sync_16x16x16_f16f16f32")


@pytest.mark.gpu
@pytest.mark.skipif(GPU_REASON is not None, reason=GPU_REASON or "")
def test_tuned_tensorcore_gmm_runs_on_the_gpu(tmp_path):
    """8 trials of the cuda-tensorcore space on a 256^3 fp16 GMM; the best record, built and
    run on the GPU, matches numpy."""
    import raytune_ms as ms
    from raytune_ms.codegen import build
    from raytune_ms.runner.cuda_evaluate import CudaModule
    from raytune_ms.target import Target

    n = 256
    func = _gmm(n)
    db = ms.tune_tir(func, "cuda", str(tmp_path), max_trials_global=8, num_trials_per_iter=4, space=_space(),
                     strategy="replay-trace", builder="local", runner="local", progress=False)
    sch = db.query_schedule(func, Target("cuda"), "main")
    assert sch is not None and "wmma_sync_16x16x16_f16f16f32" in _intrins(sch)
    mod = CudaModule(build(sch.mod, "cuda"))
    try:
        a, b, c = _inputs(n, n, n)
        arrays = mod.run(a, b, c)
        mod.fetch(arrays)
        _check(arrays[2], a, b, "float32")
    finally:
        mod.close()


def test_a_tensorized_trace_replays_from_json():
    """Database records keep the whole trace: Tensorize replays (and round-trips through JSON)
    to the same program."""
    from raytune_ms.tir import structural_equal

    func = _gmm(64)
    _, (sch,) = _samples(_context(func), 1)
    assert any(i.kind.name == "Tensorize" for i in sch.trace.insts)
    again = Schedule(func)
    Trace.from_json(sch.trace.as_json()).apply_to_schedule(again)
    assert structural_equal(again.mod, sch.mod)
    assert "sch.tensorize(" in "\n".join(sch.trace.as_python())


@needs_gxx
def test_mutated_tensorcore_traces_stay_tensorized_and_correct():
    """MutateTileSize (the cuda-tensorcore mutators' main one) on a tensorized GMM: mutated
    traces replay through the postprocessors, stay on tensor cores and compute the same."""
    from raytune_ms.mutator import MutateTileSize
    from raytune_ms.testing.cuda_emulator import EmulatedModule
    from raytune_ms.testing.mutation import init_mutator, mutate_many

    func = _gmm(64)
    ctx = _context(func)
    _, (sch,) = _samples(ctx, 1)
    mutator = init_mutator(MutateTileSize(), func, target="cuda")
    traces = mutate_many(mutator, sch.trace, range(12))
    assert traces
    accepted = []
    for trace in traces:
        new = Schedule(func, seed=0)
        trace.apply_to_schedule(new, remove_postproc=True)
        cand = candidate_from_schedule(new, ctx.postprocs)
        if cand is not None:
            accepted.append(cand.sch)
    assert accepted and all("wmma_sync_16x16x16_f16f16f32" in _intrins(s) for s in accepted)
    a, b, c = _inputs(64, 64, 64)
    EmulatedModule(codegen_cuda(accepted[-1].mod.entry_func(), "cuda"))(a, b, c)
    _check(c, a, b, "float32")
    print(f"{len(accepted)} of {len(traces)} mutated traces accepted")
