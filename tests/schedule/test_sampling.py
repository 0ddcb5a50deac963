"""sample_perfect_tile / sample_categorical / sample_compute_location and seeding."""

import pytest

from raytune_ms.schedule import Schedule
from raytune_ms.schedule.sampling import RandState, divisors
from raytune_ms.testing import assert_error_leaves_unchanged, assert_same_semantics, chain, matmul


def _tiles(seed, n=3, extent_func=None):
    sch = Schedule(matmul(n=48), seed=seed)
    i, _, _ = sch.get_loops(sch.get_block("C"))
    return [sch.get(v) for v in sch.sample_perfect_tile(i, n, max_innermost_factor=8)]


def test_perfect_tile_multiplies_to_extent_and_respects_innermost():
    seen = set()
    for seed in range(60):
        t = _tiles(seed)
        assert len(t) == 3 and t[0] * t[1] * t[2] == 48 and t[2] <= 8
        seen.add(tuple(t))
    assert len(seen) > 10  # the space is explored


def test_perfect_tile_n1_and_decisions():
    sch = Schedule(matmul(n=48), seed=0)
    i, j, _ = sch.get_loops(sch.get_block("C"))
    assert [sch.get(v) for v in sch.sample_perfect_tile(i, 1)] == [48]
    assert [sch.get(v) for v in sch.sample_perfect_tile(i, 2, decision=[6, 8])] == [6, 8]
    assert_error_leaves_unchanged(sch, lambda: sch.sample_perfect_tile(i, 2, decision=[5, 8]),
                                  "'i'", "[5, 8]", "48")
    assert_error_leaves_unchanged(sch, lambda: sch.sample_perfect_tile(i, 0), "'i'", "n must be")


def test_seed_determinism_and_fork():
    assert [_tiles(7) for _ in range(3)] == [_tiles(7)] * 3
    assert len({tuple(_tiles(s)) for s in range(20)}) > 1
    a, b = RandState(11), RandState(11)
    assert [a.fork_seed() for _ in range(5)] == [b.fork_seed() for _ in range(5)]
    sch = Schedule(matmul(), seed=1)
    s1 = sch.fork_seed()
    sch.seed(1)
    assert sch.fork_seed() == s1


def test_copy_copies_random_state():
    sch = Schedule(matmul(n=48), seed=3)
    i, _, _ = sch.get_loops(sch.get_block("C"))
    other = sch.copy()
    a = [sch.get(v) for v in sch.sample_perfect_tile(i, 4, 16)]
    b = [other.get(v) for v in other.sample_perfect_tile(i, 4, 16)]
    assert a == b


def test_categorical_follows_probabilities():
    sch = Schedule(matmul(), seed=0)
    counts = {0: 0, 16: 0, 64: 0}
    for _ in range(600):
        counts[sch.get(sch.sample_categorical([0, 16, 64], [0.1, 0.2, 0.7]))] += 1
    assert counts[64] > counts[16] > counts[0] > 0
    assert sch.get(sch.sample_categorical([0, 16, 64], [1, 0, 0])) == 0
    assert sch.get(sch.sample_categorical([3, 4], [0.5, 0.5], decision=1)) == 4
    assert_error_leaves_unchanged(sch, lambda: sch.sample_categorical([1, 2], [1.0]),
                                  "2 candidates")
    assert_error_leaves_unchanged(sch, lambda: sch.sample_categorical([1, 2], [1, 1], decision=2),
                                  "decision 2")


def test_compute_location_root_and_loops():
    f = chain()
    seen = set()
    for seed in range(12):
        sch = Schedule(f, seed=seed)
        b = sch.get_block("B")
        loc = sch.sample_compute_location(b)
        decision = sch.trace.get_decision(sch.trace.insts[-1])
        seen.add(decision)
        sch.compute_at(b, loc)
        if decision == -1:
            assert sch.get(loc) == "root"
        assert_same_semantics(f, sch.mod["main"])
    assert -1 in seen and len(seen) > 1


def test_compute_location_decisions():
    f = chain()
    sch = Schedule(f, seed=0)
    b = sch.get_block("B")
    loc = sch.sample_compute_location(b, decision=1)
    c_loops = sch.get_loops(sch.get_block("C"))
    assert sch.get(loc).loop_var is sch.get(c_loops[1]).loop_var
    assert_error_leaves_unchanged(sch, lambda: sch.sample_compute_location(b, decision=9),
                                  "'B'", "9")
    inl = sch.sample_compute_location(b, decision=-2)
    sch.compute_at(b, inl)  # the inline location inlines the block
    assert [sch.get(x).name for x in sch.get_child_blocks(sch.get_block("root"))] == ["C"]
    assert_same_semantics(f, sch.mod["main"])


def test_divisors():
    assert divisors(12) == (1, 2, 3, 4, 6, 12)
    assert divisors(1) == (1,)
    assert divisors(97) == (1, 97)


@pytest.mark.parametrize("extent", [1, 7, 64, 100])
def test_perfect_tile_extents(extent):
    rng = RandState(0)
    from raytune_ms.schedule.sampling import sample_perfect_tile

    for _ in range(20):
        t = sample_perfect_tile(rng, extent, 4, 16)
        p = 1
        for x in t:
            p *= x
        assert p == extent and t[-1] <= 16
