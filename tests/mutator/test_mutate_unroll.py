"""MutateUnroll: the sampled unroll step that an unroll annotation carries changes to another
candidate (by weight); nothing else changes."""

from raytune_ms.mutator import MutateUnroll
from raytune_ms.schedule import Schedule
from raytune_ms.testing import changed_decisions, check_programs, init_mutator, matmul, mutate_many, tile_matmul


def _root_annotated(key, probs):
    func = matmul(16, 12, 8, epilogue="add")
    sch = tile_matmul(Schedule(func, seed=2))  # also annotates block C with an unroll step
    root = sch.get_block("root")
    sch.annotate(root, "meta_schedule.parallel", 32)
    sch.annotate(root, "meta_schedule.vectorize", 64)
    sch.annotate(root, key, sch.sample_categorical([0, 16, 64, 512], probs))
    return func, sch.trace


def test_each_output_changes_one_unroll_step():
    for key in ("meta_schedule.unroll_explicit", "meta_schedule.unroll_implicit"):
        func, trace = _root_annotated(key, [0.25] * 4)
        outs = mutate_many(init_mutator(MutateUnroll(), func), trace, range(80))
        assert len(outs) == 80
        steps = set()
        for out in outs:
            (change,) = changed_decisions(trace, out)
            inst, old, new = change
            assert inst.kind.name == "SampleCategorical" and new != old and 0 <= new < 4
            steps.add((inst, new))
        assert len(steps) == 6  # both annotations, three other steps each
        check_programs(func, outs, lambda a, b: a @ b + 1.0)


def test_weights_and_nothing_to_mutate():
    func, trace = _root_annotated("meta_schedule.unroll_explicit", [0.0, 0.0, 1.0, 0.0])
    root_sample = [i for i in trace.insts if i.kind.name == "SampleCategorical"][-1]
    assert trace.decisions[root_sample] == 2
    outs = mutate_many(MutateUnroll(), trace, range(40))
    # the root step has no other candidate with weight: only block C's step changes
    assert outs and all(changed_decisions(trace, o)[0][0] is not root_sample for o in outs)
    sch = Schedule(func)
    sch.annotate(sch.get_block("C"), "meta_schedule.unroll_explicit", 16)  # a literal, not sampled
    assert MutateUnroll().apply(sch.trace, 0) is None
