"""`build(func_or_mod, target)`: generate C, compile it, load it — one call for users and tests.
CUDA targets give a CudaArtifact (PTX or cubin and the launch configuration, cuda_build.py)."""

from __future__ import annotations

from ..tir import IRModule, PrimFunc


def params_of(func: PrimFunc) -> list:
    """[(name, shape, dtype)] of the function's parameters, as Module wants them."""
    return [(b.name, tuple(b.shape), b.dtype) for b in func.params]


def build_artifact(func_or_mod, target="llvm", name: str | None = None) -> bytes:
    """Shared-object bytes of the function (see codegen_c for its C interface); for a CUDA
    target, the serialised CudaArtifact."""
    from ..runtime import compile_c
    from ..target import Target
    from .c import codegen_c, entry_symbol

    if Target(target).kind == "cuda":
        from .cuda_build import build_cuda

        return build_cuda(func_or_mod, target, name).to_bytes()
    func = IRModule.from_any(func_or_mod).entry_func()
    source = codegen_c(func, target, symbol=name)
    return compile_c(source, target, entry_symbol(name or func.name))


def build(func_or_mod, target="llvm", name: str | None = None):
    """A runtime.Module running the function (a CudaArtifact for a CUDA target); `name`
    overrides the exported symbol."""
    from ..runtime import Module, compile_c
    from ..target import Target
    from .c import codegen_c, entry_symbol

    func = IRModule.from_any(func_or_mod).entry_func()
    target = Target(target)
    if target.kind == "cuda":
        from .cuda_build import build_cuda

        return build_cuda(func, target, name)
    source = codegen_c(func, target, symbol=name)
    symbol = entry_symbol(name or func.name)
    so = compile_c(source, target, symbol)
    return Module.from_bytes(so, params_of(func), symbol, source=source)
