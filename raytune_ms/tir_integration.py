"""TIR integration: tune_tir (see raytune_ms.tune) and compile_tir, which applies the best
record of a database to a program."""

from __future__ import annotations

from .tir import IRModule
from .tune import tune_tir

__all__ = ["compile_tir", "tune_tir"]


def compile_tir(database, mod, target):
    """The best Schedule of `mod` on `target` recorded in `database` (None if it has none);
    build it with `raytune_ms.build(sch.mod, target)`."""
    if isinstance(target, str):
        from .target import Target

        target = Target(target)
    return database.query_schedule(IRModule.from_any(mod), target, workload_name="main")
