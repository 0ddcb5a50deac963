"""`build(func_or_mod, target)`: generate C, compile it, load it — one call for users and tests."""

from __future__ import annotations

from ..tir import IRModule, PrimFunc


def _entry(func_or_mod) -> PrimFunc:
    if isinstance(func_or_mod, PrimFunc):
        return func_or_mod
    if isinstance(func_or_mod, IRModule):
        names = func_or_mod.get_global_vars()
        if len(names) != 1:
            raise ValueError(f"build needs an IRModule with exactly one function, got {names}")
        return func_or_mod[names[0]]
    raise TypeError(f"build expects a PrimFunc or IRModule, got {type(func_or_mod).__name__}")


def params_of(func: PrimFunc) -> list:
    """[(name, shape, dtype)] of the function's parameters, as Module wants them."""
    return [(b.name, tuple(b.shape), b.dtype) for b in func.params]


def build_artifact(func_or_mod, target="llvm", name: str | None = None) -> bytes:
    """Shared-object bytes of the function (see codegen_c for its C interface)."""
    from ..runtime import compile_c
    from .c import codegen_c, entry_symbol

    func = _entry(func_or_mod)
    source = codegen_c(func, target, symbol=name)
    return compile_c(source, target, entry_symbol(name or func.name))


def build(func_or_mod, target="llvm", name: str | None = None):
    """A runtime.Module running the function; `name` overrides the exported symbol."""
    from ..runtime import Module, compile_c
    from ..target import Target
    from .c import codegen_c, entry_symbol

    func = _entry(func_or_mod)
    target = Target(target)
    source = codegen_c(func, target, symbol=name)
    symbol = entry_symbol(name or func.name)
    so = compile_c(source, target, symbol)
    return Module.from_bytes(so, params_of(func), symbol, source=source)
