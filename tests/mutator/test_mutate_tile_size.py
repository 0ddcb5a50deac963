"""MutateTileSize: a factor moves between two tiles of one decision (the product is kept, the
innermost limit respected), categorical split factors change to another candidate, and every
output replays to a program that computes the matmul."""

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from raytune_ms.mutator import MutateTileSize
from raytune_ms.mutator.mutate_tile_size import fit_tiles, move_tile
from raytune_ms.schedule import Schedule
from raytune_ms.schedule.sampling import RandState
from raytune_ms.testing import (
    bare_matmul,
    changed_decisions,
    check_programs,
    init_mutator,
    matmul,
    mutate_many,
    tile_matmul,
)


def _tiled(n=16, m=12, k=8, seed=0):
    """The SSRSRS tiling of raytune_ms.testing (perfect tiles of i, j, k; a D epilogue)."""
    func = matmul(n, m, k, epilogue="add")
    return func, tile_matmul(Schedule(func, seed=seed), cache=True).trace


def test_every_output_keeps_products_and_computes_the_matmul():
    func, trace = _tiled(n=16, m=24, k=8)
    mutator = init_mutator(MutateTileSize(), func)
    outs = mutate_many(mutator, trace, range(300))
    assert len(outs) == 300  # every decision here has a move and the structure never changes
    for out in outs:
        (change,) = changed_decisions(trace, out)
        inst, old, new = change
        assert inst.kind.name == "SamplePerfectTile"
        assert math.prod(old) == math.prod(new) and len(old) == len(new) and old != new
        assert new[-1] <= inst.attrs[1]
    distinct = check_programs(func, outs, lambda a, b: a @ b + 1.0)
    assert distinct > 15  # the one-move neighbourhood of the trace


def test_categorical_split_factors_are_mutated():
    func = bare_matmul(16, 16, 8)
    sch = Schedule(func, seed=0)
    i, j, k = sch.get_loops(sch.get_block("C"))
    v = sch.sample_categorical([2, 4, 8], [1.0, 0.0, 3.0])  # 4 never drawn
    j0, j1 = sch.split(j, [None, v])
    sch.vectorize(j1)
    mutator = init_mutator(MutateTileSize(), func)
    outs = mutate_many(mutator, sch.trace, range(60))
    news = set()
    for out in outs:
        (change,) = changed_decisions(sch.trace, out)
        news.add(change[2])
    (sample,) = [i for i in sch.trace.insts if i.kind.name == "SampleCategorical"]
    assert news == {2 - sch.trace.decisions[sample]}  # 2 <-> 8, never the weightless 4
    check_programs(func, outs, lambda a, b: a @ b)


def test_a_categorical_innermost_factor_refits_the_outer_tiles():
    """As the CPU MultiLevelTiling tiles its vector axis: innermost by sample_categorical, the
    outer loop (whose extent depends on it) by sample_perfect_tile."""
    func = bare_matmul(16, 48, 8)
    sch = Schedule(func, seed=1)
    i, j, k = sch.get_loops(sch.get_block("C"))
    v = sch.sample_categorical([4, 8, 16], [1.0, 1.0, 1.0], decision=0)
    j_outer, j_inner = sch.split(j, [None, v])
    j0, j1 = sch.split(j_outer, sch.sample_perfect_tile(j_outer, 2, 4, decision=[3, 4]))
    sch.reorder(i, j0, k, j1, j_inner)
    sch.vectorize(j_inner)
    (sample,) = [x for x in sch.trace.insts if x.kind.name == "SampleCategorical"]
    (tile,) = [x for x in sch.trace.insts if x.kind.name == "SamplePerfectTile"]
    outs = mutate_many(init_mutator(MutateTileSize(), func), sch.trace, range(80))
    assert len(outs) == 80
    refitted = 0
    for out in outs:
        factor = sample.attrs[0][out.decisions[sample]]
        assert math.prod(out.decisions[tile]) * factor == 48 and out.decisions[tile][-1] <= 4
        refitted += out.decisions[sample] != 0
    assert refitted > 10
    check_programs(func, outs, lambda a, b: a @ b)


def test_nothing_to_mutate_and_determinism():
    func = bare_matmul(16, 12, 8)
    sch = Schedule(func, seed=0)
    i, _, _ = sch.get_loops(sch.get_block("C"))
    sch.split(i, sch.sample_perfect_tile(i, 2, 16, decision=[1, 16]))  # n = 2: 16 cannot grow
    sch.sample_categorical([4], [1.0])  # one candidate
    mutator = init_mutator(MutateTileSize(), func)
    assert MutateTileSize().apply(Schedule(func).trace, 0) is None
    # the only move takes a factor of 16 out to the outer tile
    outs = mutate_many(mutator, sch.trace, range(20))
    assert outs and all(changed_decisions(sch.trace, o)[0][2][0] > 1 for o in outs)
    _, trace = _tiled()
    first = MutateTileSize().apply(trace, 5).as_json()
    assert all(MutateTileSize().apply(trace, 5).as_json() == first for _ in range(3))
    assert len({str(MutateTileSize().apply(trace, s).as_json()) for s in range(20)}) > 5


def test_postprocessing_is_dropped():
    func, trace = _tiled()
    sch = Schedule(func, seed=0)
    trace.apply_to_schedule(sch)
    sch.enter_postproc()
    sch.parallel(sch.get_loops(sch.get_block("D"))[0])
    out = init_mutator(MutateTileSize(), func).apply(sch.trace, 1)
    assert not any(inst.kind.is_postproc for inst in out.insts)
    assert len(out.insts) == len(trace.insts)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([1, 1, 2, 2, 3, 4, 5, 8]), min_size=2, max_size=5),
       st.sampled_from([0, 4, 8, 16, 64]), st.integers(0, 2**31))
def test_move_keeps_product_and_limit(tiles, limit, seed):
    out = move_tile(tiles, limit, RandState(seed))
    n = len(tiles)
    possible = [(x, y, d) for x in range(n) for y in range(n) for d in range(2, tiles[x] + 1)
                if x != y and tiles[x] % d == 0 and (y < n - 1 or limit <= 0 or d * tiles[y] <= limit)]
    if out is None:
        assert not possible
        return
    assert math.prod(out) == math.prod(tiles) and min(out) >= 1
    moved = [(x, y, tiles[x] // out[x]) for x in range(n) for y in range(n)
             if x != y and out[x] < tiles[x] and out[y] > tiles[y]]
    assert len(moved) == 1 and moved[0] in possible and sum(a != b for a, b in zip(out, tiles)) == 2


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([1, 2, 3, 4, 6, 8]), min_size=1, max_size=4),
       st.sampled_from([1, 2, 3, 4]), st.sampled_from([1, 2, 3, 4]), st.integers(0, 2**31))
def test_fit_keeps_the_innermost_limit_and_reaches_the_extent(tiles, num, den, seed):
    total = math.prod(tiles) * num
    if total % den:
        return
    limit = max(tiles[-1], 4)
    out = fit_tiles(tiles, total // den, limit, RandState(seed))
    assert math.prod(out) == total // den and len(out) == len(tiles) and min(out) >= 1
    assert len(out) == 1 or out[-1] <= limit
