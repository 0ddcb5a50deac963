"""The hand-written spaces: every sampled schedule of a suite workload computes what numpy does."""

import pytest

import raytune_ms as ms
from raytune_ms import spaces, workloads
from raytune_ms.codegen import build
from raytune_ms.tune_cli import WORKLOAD_SPACES

CASES = [("GMM", 2), ("GEMV", 1), ("TBG", 1), ("C1D", 1), ("C2D", 2), ("DEP", 1), ("GRP", 1), ("CBR", 1),
         ("T2D", 1), ("CAP", 1)]


@pytest.mark.parametrize("name,seeds", CASES)
def test_sampled_schedules_match_numpy(name, seeds):
    wl = workloads.get(name, "small")
    space = spaces.get(WORKLOAD_SPACES[name])
    for seed in range(seeds):
        for sch in space(ms.Schedule(wl.func, seed=seed)):  # parallel and serial
            arrays = wl.make_inputs(seed=seed)
            build(sch.mod, "llvm")(*arrays)
            correct, err = wl.compare(arrays)
            assert correct, f"{name} seed {seed}: max error {err}\n{sch.trace}"


def test_space_structure_does_not_depend_on_decisions():
    """Replaying a space's trace with fresh decisions (ReplayTrace) gives valid programs."""
    from raytune_ms.schedule import Trace

    wl = workloads.get("GMM", "small")
    sch = spaces.matmul_space(ms.Schedule(wl.func, seed=0))[0]
    kinds = [inst.kind.name for inst in sch.trace.insts]
    for seed in range(1, 4):
        fresh = ms.Schedule(wl.func, seed=seed)
        Trace(sch.trace.insts, {}).apply_to_schedule(fresh, remove_postproc=True)
        assert [inst.kind.name for inst in fresh.trace.insts] == kinds
        arrays = wl.make_inputs()
        build(fresh.mod, "llvm")(*arrays)
        assert wl.compare(arrays)[0]


def test_unknown_space_is_named():
    with pytest.raises(ValueError, match="known: conv, matmul"):
        spaces.get("winograd")
