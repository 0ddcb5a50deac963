"""`build_cuda(func, target)`: CUDA C, the limit checks, NVRTC -> a CudaArtifact."""

from __future__ import annotations

from ..tir import IRModule


def build_cuda(func_or_mod, target="cuda", name: str | None = None):
    """The CudaArtifact of the function (PTX, or a cubin when the target names an arch)."""
    from ..runtime.nvrtc import compile_cuda
    from ..target import Target
    from .cuda import codegen_cuda
    from .cuda_limits import check_limits

    target = Target(target)
    func = IRModule.from_any(func_or_mod).entry_func()
    art = codegen_cuda(func, target, symbol=name)
    check_limits(art, target)
    art.image, art.image_kind = compile_cuda(art.source, target.arch, name or func.name)
    return art
