"""Each schedule rule on small programs: what it does to the block, and every design space it
makes (replayed with fresh decisions, postprocessed) computes what numpy computes."""

import logging

import pytest

from raytune_ms import te
from raytune_ms.codegen import build
from raytune_ms.schedule import Schedule
from raytune_ms.schedule_rule import (
    AddRFactor,
    ApplyCustomRule,
    AutoInline,
    InlineConstantScalars,
    MultiLevelTiling,
    ParallelizeVectorizeUnroll,
    RandomComputeLocation,
    ScheduleRule,
)
from raytune_ms.target import Target
from raytune_ms.testing import block_names, elementwise_chain, matmul, row_sum
from raytune_ms.testing.design_spaces import AVX2, AVX512, check_numpy, context, decisions_of, replays
from raytune_ms.tune_context import TuneContext


def only(*rules):
    return list(rules)


def test_create_llvm_is_the_reference_list_in_order():
    rules = ScheduleRule.create("llvm")
    assert [type(r) for r in rules] == [ApplyCustomRule, InlineConstantScalars, AutoInline, AddRFactor,
                                        MultiLevelTiling, ParallelizeVectorizeUnroll, RandomComputeLocation]
    auto, rf, mlt, pvu = rules[2], rules[3], rules[4], rules[5]
    assert (auto.into_producer, auto.into_consumer, auto.disallow_op) == (False, True, ("exp",))
    assert (rf.max_jobs_per_core, rf.max_innermost_factor) == (16, 64)
    assert (mlt.structure, mlt.max_innermost_factor) == ("SSRSRS", 64)
    assert mlt.reuse_write == {"req": "may", "levels": [1, 2], "scope": "global"}
    assert (pvu.max_jobs_per_core, pvu.max_vectorize_extent, pvu.unroll_max_steps) == (16, 64, [0, 16, 64, 512])
    assert ScheduleRule.create("c")[0] is not rules[0]
    with pytest.raises(ValueError, match="hexagon.*known: cuda, cuda-tensorcore, llvm"):
        ScheduleRule.create("hexagon")


def test_reuse_config_errors_name_the_field():
    with pytest.raises(ValueError, match="reuse_write"):
        MultiLevelTiling(reuse_write={"req": "maybe"})
    with pytest.raises(ValueError, match="structure"):
        MultiLevelTiling(structure="SXR")


def test_inline_constant_scalars():
    A = te.placeholder((4,), name="A")
    c = te.compute((), lambda: 2.0, name="c")
    B = te.compute((4,), lambda i: A[i] * c[()], name="B")
    func = te.create_prim_func([A, B])
    ctx = context(func, sch_rules=only(InlineConstantScalars()), postprocs=[])
    (sch,) = ctx.generate_design_space()
    assert block_names(sch.mod["main"]) == ["B"]
    from raytune_ms.testing import random_inputs

    check_numpy(func, sch, expected=random_inputs(func, seed=3)[0] * 2.0, interpreter=False)


def test_auto_inline_element_wise_chain_into_the_output():
    func = elementwise_chain(8, 8, stages=3)
    (sch,) = context(func, sch_rules=only(AutoInline()), postprocs=[]).generate_design_space()
    assert block_names(sch.mod["main"]) == ["D"]
    check_numpy(func, sch)


def test_auto_inline_keeps_exp_and_branches_of_non_spatial_programs():
    from raytune_ms import workloads

    sfm = workloads.get("SFM", "small").func
    rule = AutoInline(disallow_op=["tirx.exp"])
    (sch,) = context(sfm, sch_rules=only(rule), postprocs=[]).generate_design_space()
    kept = block_names(sch.mod["main"])
    exp_blocks = [b for b in block_names(sfm) if "exp" in b]
    assert exp_blocks and all(b in kept for b in exp_blocks)
    c2d = workloads.get("C2D", "small").func
    (sch,) = context(c2d, sch_rules=only(rule), postprocs=[]).generate_design_space()
    assert "pad_temp" in block_names(sch.mod["main"])  # a select: not inlined into a reduction


def test_add_rfactor_offers_partial_sums_and_the_original():
    func = row_sum(2, 64)
    ctx = context(func, sch_rules=only(AddRFactor(16, 64)), postprocs=[])
    spaces = ctx.generate_design_space()
    assert 2 <= len(spaces) <= 3
    assert len(block_names(spaces[-1].mod["main"])) == 1  # the untouched copy comes last
    assert all(len(block_names(s.mod["main"])) == 2 for s in spaces[:-1])
    for sch in replays(context(func, sch_rules=only(AddRFactor(16, 64)), postprocs="from-target"), 6)[0]:
        check_numpy(func, sch)


def test_add_rfactor_leaves_a_well_parallel_matmul():
    func = matmul(64, 64, 8, epilogue=None)
    assert len(context(func, sch_rules=only(AddRFactor(16, 64)), postprocs=[]).generate_design_space()) == 1


@pytest.mark.parametrize("target, lanes, shapes", [(AVX512, 16, [(8, 2), (6, 4), (4, 4), (12, 2)]),
                                                   (AVX2, 8, [(4, 2), (6, 2), (2, 4), (12, 1)])])
def test_tiling_register_tile_fits_the_target(target, lanes, shapes):
    """Whole vectors on the output's last axis, rows and vectors drawn together within the
    register file; the BLAS micro-kernel shapes are in the space."""
    func = matmul(48, 64, 16, epilogue=None)
    spaces = context(func, target=target, sch_rules=only(MultiLevelTiling(
        reuse_write={"req": "may", "levels": [1, 2], "scope": "global"},
        reuse_read={"req": "may", "levels": [1], "scope": "global"})), postprocs=[]).generate_design_space()
    assert len(spaces) == 6  # no cache / cache at 1 / at 2, each unpacked or packed
    ((inst, _),) = decisions_of(spaces[0], "SampleJointCategorical")
    tiles = {(r, c // lanes) for r, c in inst.attrs[0]}
    assert all(c % lanes == 0 for _, c in inst.attrs[0])
    assert all(r * v + v + 1 <= Target(target).vector_registers for r, v in tiles)
    assert set(shapes) <= tiles


def test_tiling_spaces_are_correct_on_both_cpus():
    func = matmul(32, 32, 16, epilogue="relu")
    for target in (AVX512, AVX2):
        ctx = context(func, target=target)
        accepted, rejected = replays(ctx, 12)
        assert rejected == 0
        for sch in accepted:
            check_numpy(func, sch, interpreter=False)


def test_tiling_fuses_an_element_wise_consumer():
    func = matmul(16, 16, 8, epilogue="relu")
    spaces = context(func, sch_rules=only(MultiLevelTiling(
        reuse_write={"req": "may", "levels": [1, 2], "scope": "global"})), postprocs=[]).generate_design_space()
    assert len(spaces) == 3
    assert all("C_global" not in str(s.trace) for s in spaces)
    assert sum("reverse_compute_at" in str(s.trace) for s in spaces) == 2


def test_tiling_without_a_vector_target_is_the_reference_tiling():
    func = matmul(16, 16, 8, epilogue=None)
    rule = MultiLevelTiling(reuse_write={"req": "must", "levels": [2], "scope": "global"}, vector_tiling=False)
    (sch,) = context(func, sch_rules=only(rule), postprocs=[]).generate_design_space()
    tiles = decisions_of(sch, "SamplePerfectTile")
    assert [len(d) for _, d in tiles] == [4, 4, 2] and not decisions_of(sch, "SampleCategorical")


def test_parallel_vectorize_unroll_annotates_the_root_only():
    func = matmul(16, 16, 8, epilogue=None)
    (sch,) = context(func, sch_rules=only(ParallelizeVectorizeUnroll(16, 64, [0, 16, 64, 512])),
                     postprocs=[]).generate_design_space()
    root = dict(sch.mod["main"].body.block.annotations)
    assert root["meta_schedule.parallel"] == 2 * 16 and root["meta_schedule.vectorize"] == 64
    assert root["meta_schedule.unroll_explicit"] in (0, 16, 64, 512)
    (sch,) = context(elementwise_chain(4, 4), sch_rules=only(ParallelizeVectorizeUnroll(16, 64, [0, 16])),
                     postprocs=[]).generate_design_space()
    assert "meta_schedule.unroll_explicit" not in dict(sch.mod["main"].body.block.annotations)


def test_random_compute_location_moves_producers_correctly():
    func = elementwise_chain(8, 8, stages=3)
    ctx = context(func, sch_rules=only(RandomComputeLocation()), postprocs="from-target")
    accepted, _ = replays(ctx, 10)
    assert any("compute_at" in str(s.trace) for s in accepted)
    for sch in accepted:
        check_numpy(func, sch)


def test_custom_conv_rule_by_annotation():
    from raytune_ms import workloads

    w = workloads.get("C2D", "small")
    sch = Schedule(w.func)
    sch.annotate(sch.get_block("conv2d_nhwc"), "schedule_rule", "conv")
    accepted, rejected = replays(context(sch.mod), 2)
    assert accepted and not rejected
    for s in accepted:
        assert "'local'" in str(s.trace)
        arrays = w.make_inputs(seed=1)
        build(s.mod, "llvm")(*arrays)
        assert w.compare(arrays)[0]


def test_custom_rule_by_annotation_only():
    func = matmul(32, 32, 16, epilogue=None)
    plain = context(func).generate_design_space()
    assert all("'local'" not in str(s.trace) for s in plain)  # never the default
    sch = Schedule(func)
    sch.annotate(sch.get_block("C"), "schedule_rule", "matmul")
    spaces = context(sch.mod).generate_design_space()
    assert spaces and all("'local'" in str(s.trace) for s in spaces)
    ctx = context(sch.mod)
    for s in replays(ctx, 4)[0]:
        check_numpy(func, s, interpreter=False)


@pytest.mark.parametrize("target, lanes", [(AVX2, 8), (AVX512, 16)])
def test_custom_matmul_rule_tiles_for_the_tuning_target(target, lanes):
    """The hand-written space's vector columns follow the target, not the host's width."""
    func = matmul(64, 256, 32, epilogue=None)
    sch = Schedule(func)
    sch.annotate(sch.get_block("C"), "schedule_rule", "matmul")
    spaces = context(sch.mod, target=target).generate_design_space()
    columns = {next(i.attrs[0] for i in s.trace.insts if i.kind.name == "SampleCategorical") for s in spaces}
    assert columns == {(lanes, lanes * 2, lanes * 4)}  # nr, the first decision: 1, 2 or 4 vectors
    for s in replays(context(sch.mod, target=target), 2)[0]:
        check_numpy(func, s, interpreter=False)


def test_unknown_custom_rule_is_dropped_with_a_warning(caplog):
    func = matmul(16, 16, 8, epilogue=None)
    sch = Schedule(func)
    sch.annotate(sch.get_block("C"), "schedule_rule", "no-such-rule")
    with caplog.at_level(logging.WARNING):
        spaces = context(sch.mod).generate_design_space()
    assert "no-such-rule" in caplog.text
    assert any("SSRSRS" in str(s.trace) for s in spaces)  # the other rules applied


def test_rules_read_the_target():
    ctx = TuneContext(matmul(8, 8, 8, epilogue=None), target="llvm -num-cores=3")
    rule = AddRFactor(4)
    rule._initialize_with_tune_context(ctx)
    assert rule.max_parallel_extent == 12
    mlt = MultiLevelTiling()
    mlt._initialize_with_tune_context(TuneContext(target="llvm -vector-bytes=32 -vector-registers=32"))
    assert (mlt.lanes, mlt.registers) == (8, 32)


def test_panel_packing_only_where_it_pays():
    from raytune_ms import workloads

    def n_spaces(name, size="standard"):
        return len(context(workloads.get(name, size).func).generate_design_space())

    assert n_spaces("GMM-1024") == 3  # a 4 MiB B: always packed
    assert n_spaces("GEMV") == 3  # one row: never packed
    assert n_spaces("GMM") == 6  # a 64 KiB B reused by 128 rows: either
