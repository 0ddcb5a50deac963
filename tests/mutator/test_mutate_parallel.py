"""MutateParallel: the `meta_schedule.parallel` limit changes to one that parallelises a
different set of loops, never above cores x max_jobs_per_core."""

import pytest
from mutation_checks import attach, check_programs, mutate_many
from sched_helpers import matmul

from raytune_ms.mutator import MutateParallel
from raytune_ms.mutator.mutate_parallel import PARALLEL_KEY, other_limit
from raytune_ms.schedule import Schedule
from raytune_ms.schedule.sampling import RandState


def _annotated(limit=32):
    """C tiled (i0 j0 i1 j1 k: fusible extents 4, 3, 4, 4 before the reduction loop) and an
    epilogue D (16 x 12), the root annotated with a parallel limit."""
    func = matmul(16, 12, 8, epilogue="add")
    sch = Schedule(func, seed=0)
    c = sch.get_block("C")
    i, j, k = sch.get_loops(c)
    i0, i1 = sch.split(i, [4, 4])
    j0, j1 = sch.split(j, [3, 4])
    sch.reorder(i0, j0, i1, j1, k)
    sch.annotate(sch.get_block("root"), PARALLEL_KEY, limit)
    return func, sch.trace


def _limit(trace):
    (inst,) = [i for i in trace.insts if i.kind.name == "Annotate" and i.attrs[0] == PARALLEL_KEY]
    return inst.inputs[1]


@pytest.mark.parametrize("target,expected", [
    ("llvm -num-cores=2", {4, 12, 16}),   # max 32: C's products 4, 12, 48; D's 16, 192
    ("llvm -num-cores=1", {4, 12}),       # max 16: limit 16 parallelises what 32 does
    ("llvm -num-cores=8", {4, 12, 16}),   # 48 and 128 give the plan of 32
])
def test_limits_change_the_plan(target, expected):
    func, trace = _annotated(32)
    outs = mutate_many(attach(MutateParallel(max_jobs_per_core=16), func, target), trace, range(60))
    assert {_limit(o) for o in outs} == expected
    check_programs(func, outs, lambda a, b: a @ b + 1.0)


def test_plans():
    # one block, products 4, 12, 48 (limit 32 fuses all three loops)
    limits = {other_limit([[4, 12, 48]], 32, 32, RandState(s)) for s in range(30)}
    assert limits == {4, 12}
    assert other_limit([[4]], 4, 32, RandState(0)) is None
    assert other_limit([[]], 32, 32, RandState(0)) is None


def test_nothing_to_mutate():
    func, _ = _annotated()
    mutator = attach(MutateParallel(16), func)
    assert mutator.apply(Schedule(func).trace, 0) is None
    sch = Schedule(func)
    sch.annotate(sch.get_block("root"), PARALLEL_KEY, sch.sample_categorical([8, 16], [1, 1]))
    assert mutator.apply(sch.trace, 0) is None  # a sampled value is not a literal to tune
    with pytest.raises(ValueError, match="max_jobs_per_core"):
        MutateParallel(0)
