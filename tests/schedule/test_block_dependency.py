"""producers / consumers among sibling blocks and compute-location candidates."""


from raytune_ms import te
from raytune_ms.schedule import Schedule
from raytune_ms.schedule.primitives.block_compute_at import compute_at, compute_location_candidates
from raytune_ms.schedule.primitives.block_decompose_reduction import decompose_reduction
from raytune_ms.schedule.primitives.dependency import consumers, producers
from raytune_ms.schedule.primitives.loop_transform import split
from raytune_ms.testing import assert_same_result, elementwise_chain, loops_of
from raytune_ms.testing import bare_matmul as matmul


def test_chain_relations():
    f = elementwise_chain()
    assert producers(f, "B") == [] and consumers(f, "B") == ["C"]
    assert producers(f, "C") == ["B"] and consumers(f, "C") == ["D"]
    assert consumers(f, "D") == []


def test_relations_follow_program_order_after_moves():
    f = elementwise_chain()
    g = compute_at(f, "B", loops_of(f, "C")[1])
    assert producers(g, "C") == ["B"] and consumers(g, "B") == ["C"]
    m = matmul(4, 4, 4)
    m, init = decompose_reduction(m, "C", loops_of(m, "C")[0])
    assert producers(m, "C") == [init] and consumers(m, init) == ["C"]


def test_compute_location_candidates():
    f = elementwise_chain()
    i, j = loops_of(f, "C")
    assert compute_location_candidates(f, "B") == [i, j]
    assert compute_location_candidates(f, "D") == []
    A = te.placeholder((8,), name="A")
    B = te.compute((8,), lambda x: A[x] + 1.0, name="B")
    C = te.compute((8,), lambda x: B[x] * 2.0, name="C")
    D = te.compute((8,), lambda x: B[x] - C[x], name="D")
    g = te.create_prim_func([A, D])
    assert compute_location_candidates(g, "B") == []  # C and D share no loop
    h, (o, _) = split(f, loops_of(f, "C")[0], [4, 4])
    cands = compute_location_candidates(h, "B")
    assert cands[0] is o and len(cands) == 3
    for loop in cands:
        assert_same_result(f, compute_at(h, "B", loop))


def test_schedule_sampling_uses_candidates():
    sch = Schedule(elementwise_chain(), seed=3)
    b = sch.get_block("B")
    loc = sch.sample_compute_location(b, decision=1)
    sch.compute_at(b, loc)
    assert_same_result(elementwise_chain(), sch.mod["main"])
