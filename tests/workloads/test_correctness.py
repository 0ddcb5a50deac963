"""Every workload, built unscheduled by the C code generator, computes what numpy does."""

import pytest

from raytune_ms import build, workloads


def run_and_compare(wl):
    mod = build(wl.func, target="llvm")
    arrays = wl.make_inputs(seed=1)
    mod(*arrays)
    return wl.compare(arrays)


@pytest.mark.parametrize("name", workloads.names())
def test_small(name):
    correct, err = run_and_compare(workloads.get(name, "small"))
    assert correct, f"{name}: max abs error {err}"


@pytest.mark.slow
@pytest.mark.parametrize("name", workloads.names())
def test_standard(name):
    correct, err = run_and_compare(workloads.get(name, "standard"))
    assert correct, f"{name}: max abs error {err}"
