"""Mutating the automatic design space (post-order-apply with the target's rules): every output
of every default mutator replays and, through the postprocessors, builds to a kernel that matches
numpy. Skipped until PostOrderApply exists."""

import pytest

import raytune_ms as ms
from raytune_ms import tir, workloads
from raytune_ms.codegen import build
from raytune_ms.tune_context import TuneContext

pytest.importorskip("raytune_ms.space_generator.post_order_apply")

SEEDS = 6
BUILDS = 2  # distinct postprocessed programs compiled per mutator and workload


@pytest.mark.parametrize("name", ["GMM", pytest.param("C1D", marks=pytest.mark.slow),
                                  pytest.param("SFM", marks=pytest.mark.slow)])
def test_default_mutators_on_the_automatic_space(name):
    wl = workloads.get(name, "small")
    ctx = TuneContext(wl.func, target="llvm", space_generator="post-order-apply", rand_state=1)
    spaces = ctx.generate_design_space()
    for mutator in ctx.space_generator.mutator_probs:
        programs = {}
        for sch in spaces:
            for seed in range(SEEDS):
                out = mutator.apply(sch.trace, seed)
                if out is None:
                    continue
                mutated = ms.Schedule(wl.func, seed=0)
                out.apply_to_schedule(mutated, remove_postproc=True)
                if all(p.apply(mutated) for p in ctx.postprocs):
                    programs.setdefault(tir.structural_hash(mutated.mod), mutated)
        for mutated in list(programs.values())[:BUILDS]:
            arrays = wl.make_inputs(seed=1)
            build(mutated.mod, "llvm")(*arrays)
            correct, err = wl.compare(arrays)
            assert correct, f"{name}, {mutator!r}: max error {err}\n{mutated.trace}"
