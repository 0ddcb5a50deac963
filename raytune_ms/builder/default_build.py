"""The default build: generate C for the module's one PrimFunc and compile it to a shared
object. What the builder returns is the artifact's bytes, so it can travel to any node."""

from __future__ import annotations

import time

from ..tir import IRModule, PrimFunc


def entry_func(mod) -> PrimFunc:
    if isinstance(mod, PrimFunc):
        return mod
    if not isinstance(mod, IRModule):
        raise TypeError(f"expected an IRModule or PrimFunc to build, got {type(mod).__name__}")
    names = mod.get_global_vars()
    if len(names) != 1:
        raise ValueError(f"a candidate module must hold exactly one PrimFunc, got {names}")
    return mod[names[0]]


def default_build(mod, target, params=None) -> bytes:
    """The artifact (shared-object bytes) of `mod` for `target`."""
    from ..codegen import build_artifact

    return build_artifact(entry_func(mod), target)


def default_export(artifact: bytes) -> bytes:
    """What travels from builder to runner: the artifact itself."""
    return artifact


def run_build(f_build, f_export, mod, target, params) -> tuple[bytes, float]:
    """Build and export, timing the build (runs in the builder's child process)."""
    from ..target import Target

    start = time.perf_counter()
    if not isinstance(target, Target):
        target = Target(target)
    artifact = (f_export or default_export)((f_build or default_build)(mod, target, params))
    if not isinstance(artifact, (bytes, bytearray)):
        raise TypeError(f"the build function must return the artifact's bytes, got {type(artifact).__name__}")
    return bytes(artifact), time.perf_counter() - start
