"""bench/fma_peak.py builds its FMA loop for the host Target and reports a positive peak whose
arithmetic matches the Target's lanes. No timing thresholds: the figure is what the bench is for."""

from __future__ import annotations

from raytune_ms.target import Target


def test_fma_peak_reads_the_target(load_bench):
    row = load_bench("fma_peak").fma_peak(threads=1, rounds=1, iterations=100_000)
    target = Target("llvm")
    assert row["lanes"] == target.vector_lanes
    assert row["chains"] == target.vector_registers - 4
    assert row["fma_peak_gflops"] > 0
