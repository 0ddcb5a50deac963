"""Mutator.create: the reference's default mutators and probabilities, single kinds by name,
clear errors; PyMutator extensions."""

import pytest

import raytune_ms as ms
from raytune_ms.mutator import MutateComputeLocation, MutateParallel, MutateTileSize, MutateUnroll, Mutator, PyMutator
from raytune_ms.schedule import Schedule
from raytune_ms.testing import bare_matmul, init_mutator


def test_llvm_defaults():
    probs = Mutator.create("llvm")
    assert [(type(m), p) for m, p in probs.items()] == [
        (MutateTileSize, 0.90), (MutateComputeLocation, 0.05), (MutateUnroll, 0.03), (MutateParallel, 0.02)]
    (parallel,) = [m for m in probs if isinstance(m, MutateParallel)]
    assert parallel.max_jobs_per_core == 16 and repr(parallel) == "MutateParallel(max_jobs_per_core=16)"


def test_kinds_and_errors():
    ((m, p),) = Mutator.create("mutate-parallel").items()
    assert isinstance(m, MutateParallel) and p == 1.0
    cuda = {type(m).__name__: p for m, p in Mutator.create("cuda").items()}
    assert cuda == {"MutateTileSize": 0.90, "MutateUnroll": 0.08, "MutateThreadBinding": 0.02}
    with pytest.raises(ValueError, match="known kinds: cuda, cuda-tensorcore, llvm, mutate-compute-location"):
        Mutator.create("hexagon")


def test_a_tune_context_resolves_the_defaults():
    ctx = ms.TuneContext(bare_matmul(), target="llvm", space_generator=lambda sch: None)
    assert sorted(type(m).__name__ for m in ctx.space_generator.mutator_probs) == [
        "MutateComputeLocation", "MutateParallel", "MutateTileSize", "MutateUnroll"]
    assert all(m._mod is ctx.mod and m._target is ctx.target for m in ctx.space_generator.mutator_probs)


def test_clone_and_py_mutator():
    func = bare_matmul()
    original = init_mutator(MutateParallel(8), func)
    copy = original.clone()
    assert copy is not original and copy.max_jobs_per_core == 8 and copy._mod is original._mod

    @ms.derived_object
    class SwapLoops(PyMutator):
        """Changes no decision; reorders the first two loops of C (a trace-level edit)."""

        def apply(self, trace, rand_state=None):
            sch = Schedule(func)
            trace.apply_to_schedule(sch, remove_postproc=True)
            i, j, _ = sch.get_loops(sch.get_block("C"))
            sch.reorder(j, i)
            return sch.trace

    out = SwapLoops().apply(Schedule(func).trace)
    assert out.insts[-1].kind.name == "Reorder"
