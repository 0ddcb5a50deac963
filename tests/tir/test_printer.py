"""tir.script prints a statement of a later stage it does not know (lowering's Allocate) with its
body, so that text comparisons of lowered programs (bench/replay_digest.py) see every statement."""

from __future__ import annotations

from raytune_ms import tir, workloads
from raytune_ms.codegen import lower
from raytune_ms.schedule import Schedule


def test_lowered_allocate_prints_its_body():
    sch = Schedule(workloads.get("GMM", "small").func)
    block = sch.get_block("C")
    sch.cache_write(block, 0, "global")
    text = tir.script(lower(sch.mod["main"]).body)
    first, *rest = text.splitlines()
    assert first.startswith("Allocate(") and rest, text
    assert all(line.startswith("    ") for line in rest)
    assert any("C_global[" in line for line in rest) and any(line.lstrip().startswith("C[") for line in rest)
