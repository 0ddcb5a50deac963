"""The micro-kernel matmul space: every sampled schedule (as ReplayTrace samples them: a design
space's trace replayed with fresh decisions) computes what numpy does, decisions only pick
factors, and the factor lists keep to whole vectors and small row counts."""

import pytest

import raytune_ms as ms
from raytune_ms import spaces, workloads
from raytune_ms.codegen import build
from raytune_ms.schedule import Trace
from raytune_ms.spaces.matmul import column_factors, row_factors

SAMPLES = 20


def _replayed(wl, design_spaces, seed):
    """A fresh schedule: design space `seed % n`'s trace with every decision re-sampled."""
    trace = design_spaces[seed % len(design_spaces)].trace.simplified(remove_postproc=True)
    fresh = ms.Schedule(wl.func, seed=seed)
    Trace(trace.insts, {}).apply_to_schedule(fresh, remove_postproc=True)
    return fresh


@pytest.mark.parametrize("name,size", [("GMM", "small"), ("GMM", "standard"), ("BMM", "standard")])
def test_replayed_samples_match_numpy(name, size):
    wl = workloads.get(name, size)
    design_spaces = spaces.matmul_space(ms.Schedule(wl.func, seed=0))
    kinds = [[i.kind.name for i in s.trace.simplified(remove_postproc=True).insts]
             for s in design_spaces]
    for seed in range(SAMPLES):
        sch = _replayed(wl, design_spaces, seed)
        assert [i.kind.name for i in sch.trace.insts] == kinds[seed % len(design_spaces)]
        arrays = wl.make_inputs(seed=seed)
        build(sch.mod, "llvm")(*arrays)
        correct, err = wl.compare(arrays)
        assert correct, f"{name}/{size} sample {seed}: max error {err}\n{sch.trace}"


@pytest.mark.parametrize("name", ["GEMV", "TBG", "BMM"])
def test_other_matmul_likes_stay_correct(name):
    wl = workloads.get(name, "small")
    for sch in spaces.matmul_space(ms.Schedule(wl.func, seed=1)):
        arrays = wl.make_inputs(seed=1)
        build(sch.mod, "llvm")(*arrays)
        assert wl.compare(arrays)[0], str(sch.trace)


def test_design_spaces_are_structural_choices():
    """Packed always, unpacked only for an L2-sized B, serial variants only for tiny kernels."""
    small = spaces.matmul_space(ms.Schedule(workloads.get("GMM", "small").func))
    large = spaces.matmul_space(ms.Schedule(workloads.get("GMM-1024", "standard").func))
    assert len(small) == 4 and len(large) == 1
    for sch in large:
        names = [i.kind.name for i in sch.trace.insts]
        assert names.count("SampleCategorical") == 3 and "Parallel" in names
    packs = [("CacheRead" in [i.kind.name for i in s.trace.insts]) for s in small]
    assert packs == [True, False, True, False]
    bmm = spaces.matmul_space(ms.Schedule(workloads.get("BMM", "standard").func))
    assert len(bmm) == 2  # 384 KiB B: unpacked too, parallel only
    gemv = spaces.matmul_space(ms.Schedule(workloads.get("GEMV", "standard").func))
    assert len(gemv) == 1 and "CacheRead" not in [i.kind.name for i in gemv[0].trace.insts]


def test_factor_candidates():
    assert column_factors(1024, 16) == [16, 32, 64]
    assert column_factors(48, 16) == [16]
    assert column_factors(8, 16) == [2, 4, 8]  # no whole vector divides: largest divisors
    assert row_factors(1024, 64, 16) == [2, 4, 8]  # no one-row tile: see row_factors
    assert row_factors(96, 32, 16) == [2, 3, 4, 6, 8, 12]
    assert row_factors(96, 64, 16) == [2, 3, 4, 6, 8]
    assert row_factors(1, 64, 16) == [1]
    assert row_factors(7, 64, 16) == [7] and column_factors(3, 16) == [3] and column_factors(1, 16) == [1]
