"""Mutating the hand-written design spaces of suite workloads (small size): every mutated trace
that MutateTileSize returns replays, changes one tile decision, and builds to a kernel that
matches numpy; the mutators with nothing to act on in these spaces return None."""

import pytest

import raytune_ms as ms
from raytune_ms import spaces, tir, workloads
from raytune_ms.codegen import build
from raytune_ms.mutator import MutateComputeLocation, MutateParallel, MutateTileSize, MutateUnroll
from raytune_ms.testing import changed_decisions, init_mutator, replayed
from raytune_ms.tune_cli import WORKLOAD_SPACES

SEEDS = 40
BUILDS = 4  # distinct mutated programs compiled per workload


@pytest.mark.parametrize("name", ["GMM", "GEMV", "BMM", "C2D", "DEP"])
def test_tile_size_mutations_of_a_space(name):
    wl = workloads.get(name, "small")
    space = spaces.get(WORKLOAD_SPACES[name])
    mutator = init_mutator(MutateTileSize(), wl.func)
    returned = 0
    programs = {}
    for sch in space(ms.Schedule(wl.func, seed=0)):
        for seed in range(SEEDS):
            out = mutator.apply(sch.trace, seed)
            if out is None:
                continue
            returned += 1
            (change,) = changed_decisions(sch.trace, out)
            assert change[0].kind.name in ("SamplePerfectTile", "SampleCategorical")
            programs.setdefault(tir.structural_hash(replayed(out, wl.func).mod), out)
    assert returned >= SEEDS  # most mutations replay
    for trace in list(programs.values())[:BUILDS]:
        arrays = wl.make_inputs(seed=1)
        build(replayed(trace, wl.func).mod, "llvm")(*arrays)
        correct, err = wl.compare(arrays)
        assert correct, f"{name}: max error {err}\n{trace}"


def test_other_mutators_find_nothing_in_the_matmul_space():
    wl = workloads.get("GMM", "small")
    (sch, *_) = spaces.matmul_space(ms.Schedule(wl.func, seed=0))
    for mutator in (MutateComputeLocation(), MutateUnroll(), MutateParallel(16)):
        assert init_mutator(mutator, wl.func).apply(sch.trace, 0) is None
