"""VerifyGPUCode: reject a CUDA candidate whose kernels exceed the target's per-block limits
(threads, shared memory, virtual threads) before it is built; `check` raises the error the
builder would."""

from __future__ import annotations

from ..codegen.cuda import codegen_cuda
from ..codegen.cuda_limits import check_limits, limit_violations
from ..tir import IRModule
from .postproc import Postproc


def check(mod, target) -> None:
    """GPULimitError naming each exceeded limit (CodegenError when no kernel can be made)."""
    from ..target import Target

    target = Target(target)
    check_limits(codegen_cuda(IRModule.from_any(mod).entry_func(), target), target)


class VerifyGPUCode(Postproc):
    """apply(sch) is True when every kernel of the schedule fits the target's limits;
    `last_error` holds why the last rejected candidate failed."""

    def __init__(self, target=None):
        self.target = target
        self.last_error = None

    def _initialize_with_tune_context(self, context) -> None:
        self.target = context.target

    def apply(self, sch) -> bool:
        from ..codegen.c_expr import CodegenError
        from ..target import Target

        target = Target(self.target if self.target is not None else "cuda")
        try:
            errors = limit_violations(codegen_cuda(sch.mod.entry_func(), target), target)
        except CodegenError as err:
            errors = [str(err)]
        self.last_error = "; ".join(errors) or None
        return not errors

    def clone(self) -> VerifyGPUCode:
        return VerifyGPUCode(self.target)
