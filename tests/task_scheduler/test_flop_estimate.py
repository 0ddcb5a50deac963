"""The FLOP estimate behind GFLOP/s in the statistics table agrees with the suite's counts."""

import pytest

from raytune_ms import workloads
from raytune_ms.tir import estimate_flops


@pytest.mark.parametrize("name", ["GMM", "BMM", "GEMV", "C1D", "C2D", "DEP"])
def test_estimate_matches_the_suite(name):
    wl = workloads.get(name, "small")
    assert estimate_flops(wl.func) == wl.flops


def test_estimate_counts_an_epilogue():
    wl = workloads.get("CBR", "small")
    assert estimate_flops(wl.func) >= wl.flops * 0.9
