"""Sampling the "cuda-tensorcore" space with MultiLevelTilingTensorCore's options set (software
pipelining, the mma.sync intrinsic group) and checking the candidates in the CUDA emulator
against a workload's numpy reference: what the tests and the pass-rate counts share."""

from __future__ import annotations

from ..codegen.cuda import codegen_cuda
from ..schedule_rule import ScheduleRule
from ..schedule_rule.multi_level_tiling_tensor_core import MultiLevelTilingTensorCore
from ..space_generator.post_order_apply import PostOrderApply
from ..tir import For, collect
from ..tir.tensor_intrin import TENSORIZED_KEY
from ..tune_context import TuneContext
from .design_spaces import replays


def space(**rule_options) -> PostOrderApply:
    """The cuda-tensorcore space with MultiLevelTilingTensorCore(**rule_options)."""
    rules = ScheduleRule.create("cuda-tensorcore")
    index = [type(r) for r in rules].index(MultiLevelTilingTensorCore)
    rules[index] = MultiLevelTilingTensorCore(**rule_options)
    return PostOrderApply(sch_rules=rules, postprocs="cuda-tensorcore", mutator_probs="cuda-tensorcore")


def context(func, target="cuda", **rule_options) -> TuneContext:
    return TuneContext(func, target=target, space_generator=space(**rule_options), rand_state=5)


def samples(ctx, n, seed=1):
    """(the design space, the schedules of up to n random replays the postprocessors accept)."""
    (sp,) = ctx.generate_design_space()
    return sp, replays(ctx, n, seed, spaces=[sp])[0]


def intrins(sch) -> list:
    """The intrinsic names of the tensorized loops of `sch`."""
    return sorted(f.annotation(TENSORIZED_KEY) for f in collect(sch.mod.entry_func().body, For)
                  if f.annotation(TENSORIZED_KEY))


def emulate(sch, workload, target="cuda", stagger_us=0) -> tuple:
    """Run `sch` in the emulator on the workload's inputs: (ok, max error) against its reference
    (`stagger_us`: EmulatedModule's, warps released late from barriers to expose missing ones)."""
    from .cuda_emulator import EmulatedModule

    arrays = workload.make_inputs()
    EmulatedModule(codegen_cuda(sch.mod.entry_func(), target), stagger_us=stagger_us)(*arrays)
    return workload.compare(arrays)
