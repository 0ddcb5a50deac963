"""DisallowDynamicLoop: reject a program with a loop whose extent is not a constant."""

from __future__ import annotations

from ..tir import For, IntImm, collect
from .postproc import Postproc


class DisallowDynamicLoop(Postproc):
    def apply(self, sch) -> bool:
        for _, func in sch.mod.functions:
            if any(not isinstance(f.extent, IntImm) for f in collect(func.body, For)):
                return False
        return True
