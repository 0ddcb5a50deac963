"""Every hand-written design space of every suite workload it serves replays with many fresh
decisions without a failure (ReplayTrace's "drawing a candidate failed" never happens): the
trace's structure must not depend on a decision."""

import pytest

import raytune_ms as ms
from raytune_ms import spaces, workloads
from raytune_ms.schedule import Trace
from raytune_ms.tune_cli import WORKLOAD_SPACES

SEEDS = 40
SIZES = ["small", pytest.param("standard", marks=pytest.mark.slow)]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", sorted(WORKLOAD_SPACES))
def test_space_replays_with_fresh_decisions(name, size):
    if size == "standard" and name == "C3D":
        pytest.skip("the standard C3D program is slow to schedule 40 times; its small size is covered")
    func = workloads.get(name, size).func
    space = spaces.get(WORKLOAD_SPACES[name])
    designs = space(ms.Schedule(func, seed=0))
    failures = []
    for d, design in enumerate(designs):
        trace = Trace(design.trace.simplified(remove_postproc=True).insts, {})
        for seed in range(SEEDS):
            fresh = ms.Schedule(func, seed=seed)
            try:
                trace.apply_to_schedule(fresh, remove_postproc=True)
            except Exception as err:
                failures.append(f"design {d} seed {seed}: {err}; decisions {fresh.trace.decisions}")
                break
    assert not failures, f"{name} ({size}):\n" + "\n".join(failures)
