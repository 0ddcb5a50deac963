"""The default build: generate C for the module's entry PrimFunc and compile it to a shared
object. What the builder returns is the artifact's bytes, so it can travel to any node."""

from __future__ import annotations

import time

from ..tir import IRModule


def default_build(mod, target, params=None) -> bytes:
    """The artifact (shared-object bytes) of `mod` for `target`; without the layout-rewrite
    copy stages of constant weights (they run once, ahead of time: the runner feeds the weights
    converted, see ArgInfo.from_entry_func), as the reference's default build does."""
    from ..codegen import build_artifact
    from ..tir.layout_rewrite import split_layout_rewrite

    return build_artifact(split_layout_rewrite(IRModule.from_any(mod).entry_func())[0], target)


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
