"""ScheduleRule: how one block of a schedule is turned into one or more design spaces.

PostOrderApply hands every block to every rule in turn; a rule returns the schedules it makes
of the block (the input unchanged when it does not apply, several when it branches).
`create(kind)` gives a target family's default list, in the reference system's order.
"""

from __future__ import annotations

import copy

from .. import _registry

#: target family -> [(rule name, keyword arguments)], the reference's CPU defaults; beyond it,
#: MultiLevelTiling's read reuse packs the streamed panel (see multi_level_tiling.py)
FAMILIES = {
    "llvm": [
        ("apply-custom-rule", {}),
        ("inline-constant-scalars", {}),
        ("auto-inline", dict(into_producer=False, into_consumer=True, inline_const_tensor=True,
                             disallow_if_then_else=True, require_injective=True, require_ordered=True,
                             disallow_op=["exp"])),
        ("add-rfactor", dict(max_jobs_per_core=16, max_innermost_factor=64)),
        ("multi-level-tiling", dict(structure="SSRSRS", max_innermost_factor=64,
                                    reuse_read={"req": "may", "levels": [1], "scope": "global"},
                                    reuse_write={"req": "may", "levels": [1, 2], "scope": "global"})),
        ("parallel-vectorize-unroll", dict(max_jobs_per_core=16, max_vectorize_extent=64,
                                           unroll_max_steps=[0, 16, 64, 512], unroll_explicit=True)),
        ("random-compute-location", {}),
    ],
    # the reference's CUDA defaults (multi_level_tiling_cuda.py, cross_thread_reduction.py, auto_bind.py)
    "cuda": [
        ("apply-custom-rule", {}),
        ("multi-level-tiling-cuda", dict(structure="SSSRRSRS", tile_binds=["blockIdx.x", "vthread.x", "threadIdx.x"],
                                         max_innermost_factor=64, vector_load_lens=[1, 2, 3, 4, 8, 16],
                                         reuse_read={"req": "must", "levels": [4], "scope": "shared"},
                                         reuse_write={"req": "must", "levels": [3], "scope": "local"})),
        ("inline-constant-scalars", {}),
        ("auto-inline", dict(into_producer=True, into_consumer=True, inline_const_tensor=True,
                             disallow_if_then_else=False, require_injective=False, require_ordered=False,
                             disallow_op=[])),
        ("cross-thread-reduction", dict(thread_extents=[4, 8, 16, 32, 64, 128, 256, 512])),
        ("parallel-vectorize-unroll", dict(max_jobs_per_core=-1, max_vectorize_extent=-1,
                                           unroll_max_steps=[0, 16, 64, 512, 1024], unroll_explicit=True)),
        ("auto-bind", dict(max_threadblocks=256, thread_extents=[32, 64, 128, 256, 512, 1024])),
    ],
}
# the reference's tensor-core set: the wmma tiling first, then the CUDA rules for what it leaves
FAMILIES["cuda-tensorcore"] = [FAMILIES["cuda"][0], ("multi-level-tiling-tensor-core", {})] + FAMILIES["cuda"][1:]


class ScheduleRule(_registry.Registry):
    """A rule for one block; see the module docstring."""

    KINDS = {
        "apply-custom-rule": "raytune_ms.schedule_rule.apply_custom_rule:ApplyCustomRule",
        "inline-constant-scalars": "raytune_ms.schedule_rule.inline_constant_scalars:InlineConstantScalars",
        "auto-inline": "raytune_ms.schedule_rule.auto_inline:AutoInline",
        "add-rfactor": "raytune_ms.schedule_rule.add_rfactor:AddRFactor",
        "multi-level-tiling": "raytune_ms.schedule_rule.multi_level_tiling:MultiLevelTiling",
        "parallel-vectorize-unroll": "raytune_ms.schedule_rule.parallel_vectorize_unroll:ParallelizeVectorizeUnroll",
        "random-compute-location": "raytune_ms.schedule_rule.random_compute_location:RandomComputeLocation",
        "multi-level-tiling-cuda": "raytune_ms.schedule_rule.multi_level_tiling_cuda:MultiLevelTilingCuda",
        "cross-thread-reduction": "raytune_ms.schedule_rule.cross_thread_reduction:CrossThreadReduction",
        "auto-bind": "raytune_ms.schedule_rule.auto_bind:AutoBind",
        "multi-level-tiling-tensor-core":
            "raytune_ms.schedule_rule.multi_level_tiling_tensor_core:MultiLevelTilingTensorCore",
    }
    KIND_NOUN = "schedule rule"


    def _initialize_with_tune_context(self, context) -> None:
        """Read what the rule needs from the task (its target)."""

    def apply(self, sch, block) -> list:
        raise NotImplementedError

    def clone(self) -> ScheduleRule:
        return copy.deepcopy(self)

    @staticmethod
    def create(kind) -> list:
        """The default rules of a target family ("llvm", "c" is the same; "cuda"), or [one rule] of a
        registered kind, fresh objects."""
        if kind in ScheduleRule.KINDS:
            return [ScheduleRule._create_kind(kind)]
        family = "llvm" if kind == "c" else kind
        if family not in FAMILIES:
            raise ValueError(f"no default schedule rules for {kind!r}; known: {', '.join(sorted(FAMILIES))}")
        return [ScheduleRule._create_kind(name, **dict(kw)) for name, kw in FAMILIES[family]]


class PyScheduleRule(ScheduleRule):
    """The base of user rules: override `apply` (and `_initialize_with_tune_context` to read the
    target)."""


def create(kind) -> list:
    return ScheduleRule.create(kind)
