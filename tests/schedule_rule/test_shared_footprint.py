"""Block tiles bounded by the shared-memory limit (schedule_rule/shared_footprint.py): the
footprint model agrees with the shared arrays the CUDA code generator declares, the bounds
fit, and large convolutions' sampled candidates now pass VerifyGPUCode."""

import math
import shutil

import pytest

import raytune_ms as ms
from raytune_ms import workloads
from raytune_ms.codegen.cuda import codegen_cuda
from raytune_ms.schedule_rule.block_analysis import BlockInfo
from raytune_ms.schedule_rule.shared_footprint import block_tile_caps, footprint, staged_inputs
from raytune_ms.testing.design_spaces import context, replays


def _conv_block(name="C3D", size="standard"):
    w = workloads.get(name, size)
    sch = ms.Schedule(w.func)
    (block,) = [b for b in sch.get_child_blocks(sch.get_block("root"))
                if len(BlockInfo(sch, b).block.reads) == 2]
    return BlockInfo(sch, block)


def test_caps_fit_and_bound_the_large_loops():
    info = _conv_block()
    extents = info.extents()
    caps = block_tile_caps(info.block, extents, 48 << 10)
    inputs = staged_inputs(info.block)
    assert footprint(inputs, caps) <= 48 << 10 < footprint(inputs, extents)
    assert all(e % c == 0 and c <= e for c, e in zip(caps, extents))
    # the whole output rows and columns do not fit; a larger limit allows larger tiles
    assert any(c < e for c, e in zip(caps, extents))
    roomy = block_tile_caps(info.block, extents, 228 << 10)
    assert math.prod(roomy) >= math.prod(caps) and footprint(inputs, roomy) <= 228 << 10


def test_footprint_matches_the_generated_shared_arrays():
    """The bytes the model gives a sampled candidate's block tiles are those of its __shared__
    arrays (GMM: A and B tiles; C2D: the input window and the weights), or a little fewer: the
    compaction of a strided window may round one of its dimensions up (20 rows for 19)."""
    for name in ("GMM", "C2D"):
        w = workloads.get(name, "small")
        ctx = context(w.func, target="cuda")
        ok, _ = replays(ctx, 3, seed=3)
        for sch in ok[:2]:
            art = codegen_cuda(sch.mod.entry_func(), "cuda")
            (kernel,) = [k for k in art.kernels if k.shared_bytes]
            block = _conv_block(name, "small")
            tiles = _block_tiles(sch, block)
            model = footprint(staged_inputs(block.block), tiles)
            assert model <= kernel.shared_bytes <= 1.25 * model, (name, model, kernel.shared_bytes)
            if name == "GMM":
                assert model == kernel.shared_bytes


def _block_tiles(sch, block):
    """Per iterator of the untiled `block`: its extent over the outermost piece of its tile
    (the blockIdx level, or the outer reduction level); the loops are tiled in order, one
    draw each (no bounds at this size)."""
    draws = [sch.trace.decisions[i] for i in sch.trace.insts if i.kind.name == "SamplePerfectTile"]
    return [ext // d[0] for ext, d in zip(block.extents(), draws)]


@pytest.mark.parametrize("name", ["C3D", "C2D"])
def test_large_convolutions_sample_valid_candidates(name):
    """Without the bounds, 0 of 24 draws passed VerifyGPUCode for either (its shared-memory
    limit); with them, most do."""
    ctx = context(workloads.get(name, "standard").func, target="cuda")
    ok, rejected = replays(ctx, 8, seed=7)
    assert len(ok) >= 5, (len(ok), rejected)
    for sch in ok[:1]:
        (kernel,) = [k for k in codegen_cuda(sch.mod.entry_func(), "cuda").kernels if k.shared_bytes]
        assert kernel.shared_bytes <= 48 << 10


@pytest.mark.skipif(shutil.which("g++") is None, reason="the CUDA emulator needs g++")
@pytest.mark.parametrize("name", ["GMM", "C2D"])
def test_bounded_tiles_fit_and_match_numpy(name):
    """With a 1 KiB limit the small workloads' loops are bounded (a two-way split first): the
    candidates stage at most about the limit and compute what numpy does."""
    from raytune_ms.testing.cuda_emulator import EmulatedModule

    w = workloads.get(name, "small")
    target = "cuda -max-shared-memory-per-block=1024"
    ctx = context(w.func, target=target)
    (space,) = ctx.generate_design_space()[:1]
    tiles = [i.attrs for i in space.trace.insts if i.kind.name == "SamplePerfectTile"]
    assert any(n == 2 and bound < 64 for n, bound in tiles)  # a bounded loop: [outer, tile <= bound]
    ok, _ = replays(ctx, 6, seed=5)
    assert ok
    for sch in ok[:1]:
        art = codegen_cuda(sch.mod.entry_func(), target)
        assert all(k.shared_bytes <= 1024 for k in art.kernels)
        arrays = w.make_inputs()
        EmulatedModule(art)(*arrays)
        good, err = w.compare(arrays)
        assert good, (name, err)


def test_the_bound_counts_only_the_levels_a_thread_block_stages():
    """tile_binds blockIdx.y, blockIdx.x, threadIdx.x: a spatial loop's shared tile is its
    pieces under both blockIdx levels (each block has its own shared memory). The bound draws
    that tile first ([outer, tile <= 32]) and splits the outer part between the two blockIdx
    levels; before, the blockIdx.x piece was inside the bounded product, so a 32-row shared
    tile with blockIdx.x = 2 (which fits: 132 of 256 bytes) could not be drawn. Every draw fits
    and matches numpy through the IR interpreter; a tile past the bound is still rejected by
    VerifyGPUCode, which names the shared-memory limit."""
    import numpy as np

    from raytune_ms import te
    from raytune_ms.postproc.verify_gpu_code import VerifyGPUCode
    from raytune_ms.schedule import Schedule, Trace
    from raytune_ms.schedule_rule import MultiLevelTilingCuda, ScheduleRule
    from raytune_ms.search_strategy.search_strategy import candidate_from_schedule
    from raytune_ms.testing.interpreter import interpret
    from raytune_ms.topi import dense

    func = te.create_prim_func(dense.batch_matmul_nkkm(1, 64, 64, 64))
    target = "cuda -max-shared-memory-per-block=256"
    rules = ScheduleRule.create("cuda")
    rules[[type(r) for r in rules].index(MultiLevelTilingCuda)] = MultiLevelTilingCuda(
        tile_binds=["blockIdx.y", "blockIdx.x", "threadIdx.x"])
    ctx = context(func, target=target, sch_rules=rules, postprocs="cuda")
    (space,) = ctx.generate_design_space()
    draws = [i.attrs for i in space.trace.insts if i.kind.name == "SamplePerfectTile"]
    # batch; i and j: [outer, shared tile <= 32], outer over the blockIdx levels, tile over the rest; k
    assert draws == [(5, 64), (2, 32), (2, 64), (3, 64), (2, 32), (2, 64), (3, 64), (2, 1), (2, 64)]
    ok, rejected = replays(ctx, 12, seed=1)
    assert not rejected
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(p.shape).astype("float32") for p in func.params[:2]]
    arrays.append(np.zeros(func.params[2].shape, "float32"))
    wider = None
    for sch in ok:
        (kernel,) = codegen_cuda(sch.mod.entry_func(), target).kernels
        assert kernel.shared_bytes <= 256
        tiles = [sch.trace.decisions[i] for i in sch.trace.insts if i.kind.name == "SamplePerfectTile"]
        if wider is None and tiles[1][1] * tiles[2][1] > 32:  # shared tile times blockIdx.x: past the old bound
            wider = sch
    assert wider is not None
    np.testing.assert_allclose(interpret(wider.mod.entry_func(), arrays)[-1], arrays[0] @ arrays[1],
                               rtol=1e-4, atol=1e-4)
    insts = [i for i in wider.trace.insts if i.kind.name == "SamplePerfectTile"]
    decisions = dict(wider.trace.decisions)
    inner = list(decisions[insts[3]])
    inner[-1] *= 64 // int(np.prod(inner))
    decisions.update({insts[1]: [1, 64], insts[2]: [1, 1], insts[3]: inner})  # i's shared tile 64 > 32
    past = Schedule(func)
    Trace(wider.trace.insts, decisions).apply_to_schedule(past, remove_postproc=True)
    assert candidate_from_schedule(past, ctx.postprocs) is None
    (verify,) = [p for p in ctx.postprocs if isinstance(p, VerifyGPUCode)]
    assert "exceed max_shared_memory_per_block=256" in verify.last_error
