"""PerStoreFeature's compaction from index arithmetic (compaction_plan.py) gives exactly the
features of the compacted program (codegen.compact): on sampled and postprocessed candidates of
every suite workload (epilogues, several stores, cache tiles, padding, fused loops), where
the plan answers and where it falls back; and the simplifier's canonical form has the operation
counts built_ops says."""

import itertools
import random

import numpy as np
import pytest

from raytune_ms import tir, workloads
from raytune_ms.feature_extractor import PerStoreFeature, compaction_plan, per_store_feature
from raytune_ms.feature_extractor.store_collector import ARITH, scan, scan_value
from raytune_ms.schedule import Trace
from raytune_ms.schedule.replay_cache import ReplayCache
from raytune_ms.search_strategy.search_strategy import candidate_from_schedule
from raytune_ms.tir.arith import simplify
from raytune_ms.tune_context import TuneContext


def programs(name, size, n):
    """The workload, n replays of its design spaces and their postprocessed programs."""
    ctx = TuneContext(workloads.get(name, size).func, target="llvm", space_generator="post-order-apply",
                      rand_state=3)
    spaces = [Trace(s.trace.simplified(remove_postproc=True).insts, {}) for s in ctx.generate_design_space()]
    cache, rng = ReplayCache(ctx.mod), random.Random(1)
    out = [ctx.mod["main"]]
    for i in range(n):
        sch = cache.replay(spaces[i % len(spaces)], seed=rng.getrandbits(40))
        out.append(sch.mod["main"])
        cand = candidate_from_schedule(sch, ctx.postprocs)
        if cand is not None:
            out.append(cand.sch.mod["main"])
    return out


def compacted_features(func, monkeypatch, **kw):
    """The features through codegen.compact (the plan made to decline)."""

    def decline(body, scan_fn):
        raise compaction_plan.NotPlain

    with monkeypatch.context() as m:
        m.setattr(per_store_feature, "plan", decline)
        return PerStoreFeature(**kw).extract_func(func)


CASES = [(name, "small", 3) for name in workloads.names()] + [("GMM-1024", "standard", 4), ("C2D", "standard", 6)]


@pytest.mark.parametrize("name,size,n", CASES)
def test_plan_gives_the_compacted_programs_features(name, size, n, monkeypatch):
    from raytune_ms.codegen.lower import lower_blocks
    from raytune_ms.tir.layout_rewrite import split_layout_rewrite

    planned = 0
    for func in programs(name, size, n):
        for kw in ({}, {"buffers_per_store": 2, "cache_line_bytes": 128, "arith_intensity_curve_num_samples": 7}):
            got = PerStoreFeature(**kw).extract_func(func)
            want = compacted_features(func, monkeypatch, **kw)
            assert got.shape == want.shape and got.tobytes() == want.tobytes(), (name, kw)
        try:
            shrunk, _ = compaction_plan.plan(lower_blocks(split_layout_rewrite(func)[0]).body, scan)
            planned += bool(shrunk)
        except compaction_plan.NotPlain:
            pass
    if name == "GMM-1024":
        assert planned >= 1  # the plan itself ran (compacted cache tiles), not only the fallback


def test_built_ops_count_the_simplifiers_canonical_form():
    xs = [tir.Var(n) for n in "xyz"]
    for coefs in itertools.product((-3, -1, 0, 1, 2), repeat=3):
        for const in (-2, 0, 5):
            e = tir.IntImm(const, "int32")
            for v, c in zip(xs, coefs):
                e = e + v * c
            canon = simplify(e - tir.IntImm(0, "int32") - tir.IntImm(1, "int32"), {})
            counts, loads = [0] * len(ARITH), []
            scan_value(canon, counts, loads)
            want = (counts[1 + 7], counts[2 + 7])
            assert compaction_plan.built_ops([c for c in coefs if c], const - 1) == want, (coefs, const)


def test_features_of_the_same_program_are_shared_and_read_only():
    func = programs("GMM", "small", 1)[-1]
    ex = PerStoreFeature()
    first = ex.extract_func(func)
    assert ex.extract_func(func) is first and not first.flags.writeable
    assert np.isfinite(first).all()
