"""The CPU register tile: rows and vectors drawn together (sample_joint_categorical) among the
tiles that fit the target's register file, so the BLAS micro-kernel shapes of AVX2 and AVX-512
CPUs are all in the automatic space; the joint decision replays, prints, round-trips through
JSON and is mutated by MutateTileSize into programs that compute the matmul."""

import math

import pytest

from raytune_ms import workloads
from raytune_ms.mutator import MutateTileSize
from raytune_ms.schedule import Schedule, ScheduleError, Trace
from raytune_ms.schedule_rule import MultiLevelTiling
from raytune_ms.schedule_rule.register_tile import fits, register_tiles, tile_weight
from raytune_ms.target import Target
from raytune_ms.testing import bare_matmul, changed_decisions, check_programs, init_mutator, mutate_many
from raytune_ms.testing.design_spaces import check_numpy, context, decisions_of

AVX512_CPUS = ["llvm -mcpu=znver4 -num-cores=2", "llvm -mcpu=skylake-avx512 -num-cores=2",
               "llvm -mcpu=haswell -mattr=+avx512f -num-cores=2"]
AVX2_CPUS = ["llvm -mcpu=znver3 -num-cores=2", "llvm -mcpu=haswell -num-cores=2",
             "llvm -mcpu=znver4 -mattr=+avx2,+fma,-avx512f -num-cores=2"]


def reachable(func, target) -> set:
    """(rows, columns) register tiles of the default automatic space of `func` on `target`."""
    tiles = set()
    for sch in context(func, target=target).generate_design_space():
        for inst, _ in decisions_of(sch, "SampleJointCategorical"):
            tiles.update(tuple(t) for t in inst.attrs[0])
    return tiles


@pytest.mark.parametrize("target", AVX512_CPUS + AVX2_CPUS)
def test_gmm_1024_reaches_the_micro_kernels_of_the_cpu_and_never_spills(target):
    t = Target(target)
    tiles = reachable(workloads.get("GMM-1024").func, target)
    assert all(fits(r, c // t.vector_lanes, t.vector_registers) and c % t.vector_lanes == 0
               for r, c in tiles)
    if t.vector_registers == 32:  # 8 x 2 vectors (Zen 4's best) and 4 x 4 vectors (this host's)
        assert {(8, 32), (4, 64), (16, 16)} <= tiles and (8, 64) not in tiles
    else:  # AVX2: 4 x 2 vectors; 8 x 32 needs 32 accumulators
        assert {(4, 16), (8, 8), (2, 32)} <= tiles and (8, 32) not in tiles and (6, 16) not in tiles


def test_register_tiles_are_every_fitting_divisor_pair():
    tiles = register_tiles(16, 8, rows_extent=12, cols_extent=48, limit=64)
    want = {(r, v) for r in (1, 2, 3, 4, 6, 12) for v in (1, 2, 3, 6) if r * v + v + 1 <= 16}
    assert set(tiles) == want and (6, 2) in want and (4, 3) in want
    assert register_tiles(32, 16, 1, 64, 64) == [(1, 1), (1, 2), (1, 4)]  # 3 vectors leave a tail
    assert register_tiles(32, 16, 8, 64, 8) == []  # the innermost limit is below one vector
    # the weight prefers full, load-light tiles
    assert tile_weight(4, 4) > tile_weight(8, 2) > tile_weight(16, 1) > tile_weight(4, 2)


def test_joint_categorical_replays_prints_and_round_trips():
    func = bare_matmul(16, 32, 8)
    sch = Schedule(func, seed=3)
    i, j, _ = sch.get_loops(sch.get_block("C"))
    rows, cols = sch.sample_joint_categorical([(2, 8), (4, 16), (8, 8)], [1.0, 2.0, 0.0])
    sch.split(i, [None, rows])
    sch.split(j, [None, cols])
    (inst,) = [x for x in sch.trace.insts if x.kind.name == "SampleJointCategorical"]
    decision = sch.trace.decisions[inst]
    assert decision in (0, 1) and (sch.get(rows), sch.get(cols)) == [(2, 8), (4, 16)][decision]
    assert "sch.sample_joint_categorical(candidates=[(2, 8), (4, 16), (8, 8)]" in str(sch.trace)
    again = Trace.from_json(sch.trace.as_json())
    replay = Schedule(func, seed=99)
    again.apply_to_schedule(replay)
    assert str(replay.trace) == str(sch.trace)
    for bad in ([], [(1, 2), (3,)], [()]):
        with pytest.raises(ScheduleError, match="sample_joint_categorical"):
            Schedule(func).sample_joint_categorical(bad, [1.0] * len(bad))
    with pytest.raises(ScheduleError, match="decision"):
        Schedule(func).sample_joint_categorical([(1, 2)], [1.0], decision=1)


def test_mutate_tile_size_moves_the_joint_tile_and_refits_the_outer_tiles():
    func = bare_matmul(16, 64, 8)
    sch = Schedule(func, seed=1)
    i, j, k = sch.get_loops(sch.get_block("C"))
    rows, cols = sch.sample_joint_categorical([(2, 16), (4, 32), (8, 8)], [1.0, 1.0, 1.0], decision=0)
    i_outer, i_inner = sch.split(i, [None, rows])
    j_outer, j_inner = sch.split(j, [None, cols])
    i0, i1 = sch.split(i_outer, sch.sample_perfect_tile(i_outer, 2, 4, decision=[4, 2]))
    sch.reorder(i0, j_outer, i1, k, i_inner, j_inner)
    sch.vectorize(j_inner)
    (sample,) = [x for x in sch.trace.insts if x.kind.name == "SampleJointCategorical"]
    (tile,) = [x for x in sch.trace.insts if x.kind.name == "SamplePerfectTile"]
    outs = mutate_many(init_mutator(MutateTileSize(), func), sch.trace, range(60))
    moved = 0
    for out in outs:
        r, _ = sample.attrs[0][out.decisions[sample]]
        assert math.prod(out.decisions[tile]) * r == 16
        moved += out.decisions[sample] != 0
    assert moved > 5 and any(c[0] is sample for o in outs for c in changed_decisions(sch.trace, o))
    check_programs(func, outs, lambda a, b: a @ b)


@pytest.mark.parametrize("target", [AVX512_CPUS[0], AVX2_CPUS[0]])
def test_mutated_register_tiles_compute_the_matmul(target):
    """Through the whole rule (write cache, packing) and the C compiler."""
    from raytune_ms.testing import matmul

    func = matmul(32, 64, 16, epilogue=None)
    rule = MultiLevelTiling(reuse_write={"req": "must", "levels": [2], "scope": "global"},
                            reuse_read={"req": "must", "levels": [1], "scope": "global"})
    (space,) = context(func, target=target, sch_rules=[rule], postprocs=[]).generate_design_space()
    outs = mutate_many(init_mutator(MutateTileSize(), func, target), space.trace, range(40))
    (sample,) = [x for x in space.trace.insts if x.kind.name == "SampleJointCategorical"]
    tiles = {sample.attrs[0][o.decisions[sample]] for o in outs}
    assert len(tiles) > 2
    seen = set()
    for out in outs:
        tile = sample.attrs[0][out.decisions[sample]]
        if tile in seen:
            continue
        seen.add(tile)
        sch = Schedule(func, seed=0)
        out.apply_to_schedule(sch, remove_postproc=True)
        check_numpy(func, sch, interpreter=False)
