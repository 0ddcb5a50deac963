"""MutateParallel: the `meta_schedule.parallel` limit changes to one that parallelises a
different set of loops (as RewriteParallelVectorizeUnroll reads it), never above
cores x max_jobs_per_core."""

import pytest

from raytune_ms.mutator import MutateParallel
from raytune_ms.mutator.mutate_parallel import PARALLEL_KEY, other_limit, plan
from raytune_ms.postproc.rewrite_parallel_vectorize_unroll import parallel_extents
from raytune_ms.schedule import Schedule
from raytune_ms.schedule.sampling import RandState
from raytune_ms.schedule.tree import block_path, loops_above
from raytune_ms.testing import check_programs, init_mutator, matmul, mutate_many


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


# C's fusible extents 4, 3, 4, 4 (products 4, 12, 48, 192), D's 16, 12 (16, 192). A limit takes
# loops up to the first product above it: 32 parallelises 3 loops of C and 2 of D, as 16 does.
@pytest.mark.parametrize("target,expected", [
    ("llvm -num-cores=2", {1, 4, 12}),      # limits up to 32
    ("llvm -num-cores=1", {1, 4, 12}),      # up to 16
    ("llvm -num-cores=8", {1, 4, 12, 48}),  # up to 128: 48 takes all four loops of C
])
def test_limits_change_the_plan(target, expected):
    func, trace = _annotated(32)
    outs = mutate_many(init_mutator(MutateParallel(max_jobs_per_core=16), func, target), trace, range(60))
    assert {_limit(o) for o in outs} == expected
    check_programs(func, outs, lambda a, b: a @ b + 1.0)


def test_plans():
    assert plan([[4, 3, 4, 4], [16, 12]], 32) == plan([[4, 3, 4, 4], [16, 12]], 16) == (3, 2)
    assert plan([[4, 3]], 1) == (1,) and plan([[1, 1]], 64) == (0,) and plan([[]], 8) == (0,)
    limits = {other_limit([[4, 3, 4]], 32, 32, RandState(s)) for s in range(30)}
    assert limits == {1, 4}  # 12 and 32 both take the three loops
    assert other_limit([[4]], 4, 32, RandState(0)) is None
    assert other_limit([[]], 32, 32, RandState(0)) is None


def test_fusible_loops_stop_at_reductions_and_statement_lists():
    func, trace = _annotated(32)
    sch = Schedule(func)
    trace.apply_to_schedule(sch)
    body = sch.mod["main"]
    loops = loops_above(block_path(body, "C"))
    assert parallel_extents(loops) == (0, [4, 3, 4, 4])  # k binds the reduction
    c = sch.get_block("C")
    sch.decompose_reduction(c, sch.get_loops(c)[2])  # init and update under i1: a statement list
    assert parallel_extents(loops_above(block_path(sch.mod["main"], "C"))) == (0, [4, 3])


def test_nothing_to_mutate():
    func, _ = _annotated()
    mutator = init_mutator(MutateParallel(16), func)
    assert mutator.apply(Schedule(func).trace, 0) is None
    sch = Schedule(func)
    sch.annotate(sch.get_block("root"), PARALLEL_KEY, sch.sample_categorical([8, 16], [1, 1]))
    assert mutator.apply(sch.trace, 0) is None  # a sampled value is not a literal to tune
    with pytest.raises(ValueError, match="max_jobs_per_core"):
        MutateParallel(0)


@pytest.mark.parametrize("limit", [1, 16, 100, 1000])
def test_the_plan_is_what_the_postproc_parallelises_past_shared_units(limit):
    """A one-iteration tile loop holding a fetch and the nest is skipped by both: the plan's
    loops are the ones RewriteParallelVectorizeUnroll fuses into its parallel loop."""
    import math

    from raytune_ms.postproc import RewriteParallelVectorizeUnroll

    sch = Schedule(matmul(16, 12, 8), seed=0)
    c = sch.get_block("C")
    i, _, _ = sch.get_loops(c)
    i0, _ = sch.split(i, [1, 16])
    sch.compute_at(sch.cache_read(c, 0, "global"), i0)
    start, extents = parallel_extents(loops_above(block_path(sch.mod["main"], "C")))
    assert (start, extents) == (1, [16, 12])
    (n,) = plan([extents], limit)
    sch.annotate(sch.get_block("root"), PARALLEL_KEY, limit)
    assert RewriteParallelVectorizeUnroll().apply(sch)
    parallel = [f for f in loops_above(block_path(sch.mod["main"], "C")) if f.kind == "parallel"]
    assert [f.extent.value for f in parallel] == ([math.prod(extents[:n])] if n else [])
