"""The one-walk canonical text is byte for byte the sorted JSON of the names-blanked IR
document (the structural hash keys the databases): suite workloads, their replayed and
postprocessed design spaces, and odd leaves (non-finite floats, bools, strings to escape)."""

import json
import random

import pytest

from raytune_ms import tir, workloads
from raytune_ms.schedule import Schedule, Trace
from raytune_ms.search_strategy.search_strategy import candidate_from_schedule
from raytune_ms.tir.canonical import canonical_text
from raytune_ms.tir.serialize import to_json_obj
from raytune_ms.tune_context import TuneContext


def _reference(node):
    return json.dumps(to_json_obj(node, keep_names=False), separators=(",", ":"), sort_keys=True)


@pytest.mark.parametrize("name", workloads.names())
def test_canonical_text_is_the_sorted_json(name):
    func = workloads.get(name, "small").func
    assert canonical_text(func) == _reference(func)
    ctx = TuneContext(func, target="llvm", space_generator="post-order-apply", rand_state=2)
    rng = random.Random(1)
    for space in ctx.generate_design_space():
        sch = Schedule(ctx.mod, seed=rng.getrandbits(30))
        Trace(space.trace.simplified(remove_postproc=True).insts, {}).apply_to_schedule(sch, remove_postproc=True)
        cand = candidate_from_schedule(sch, ctx.postprocs)
        mod = sch.mod if cand is None else cand.sch.mod
        assert canonical_text(mod) == _reference(mod)


def test_odd_leaves():
    x = tir.Var("x\u00e9\"q", "float32")
    for value in (float("inf"), float("-inf"), float("nan"), -0.0, 1e-300, 2.5):
        e = tir.Add(x, tir.FloatImm(value, "float32"))
        assert canonical_text(e) == _reference(e)
    s = tir.StringImm("tab\there \u2603")
    assert canonical_text(s) == _reference(s)
