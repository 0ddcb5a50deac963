"""Property: any sequence of schedule primitives that the Schedule accepts preserves what the
program computes.

For every SMALL suite workload, hypothesis draws sequences of primitives with arguments picked
from the current state of the schedule (blocks, their loops, producers/consumers). A draw the
Schedule rejects must raise ScheduleError and leave the schedule unchanged; an accepted
sequence must still compute the numpy reference (interpreted, then compiled), must replay
from its trace's JSON to the same
program, and the test checks that most sequences really transform the program.
"""

import json
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from raytune_ms import tir, workloads
from raytune_ms.schedule import Schedule, ScheduleError, Trace
from raytune_ms.testing import interpret, snapshot

OPS = (
    "split", "split", "fuse", "reorder", "parallel", "vectorize", "unroll", "annotate",
    "compute_at", "reverse_compute_at", "compute_inline", "reverse_compute_inline", "cache_read",
    "cache_write", "rfactor", "decompose_reduction", "storage_align", "set_scope",
)
MAX_STEPS = 6


def _check_outputs(func, arrays, expected, wl, context):
    """The transformed program computes the reference: first under the reference interpreter
    (exact IR semantics, so a failure here is a scheduling bug), then compiled."""
    from raytune_ms import build

    for how in ("interpreted", "compiled"):
        if how == "interpreted":
            outs = interpret(func, arrays)
        else:
            outs = [a.copy() for a in arrays]
            build(func, "llvm")(*outs)
        for got, want in zip(outs[wl.num_inputs:], expected):
            np.testing.assert_allclose(got, want, rtol=wl.rtol, atol=wl.atol,
                                       err_msg=f"{wl.name} ({how}):\n{context()}")


def _pick(data, items, label):
    return items[data.draw(st.integers(0, len(items) - 1), label=label)]


def _prepare(sch, data, op):
    """Draw arguments for `op` from the schedule's current state (getters and samplers run
    here) and return the primitive call as a thunk, or None when `op` does not apply."""
    root = sch.get_block("root")
    blocks = sch.get_child_blocks(root)
    if not blocks:
        return None
    b = _pick(data, blocks, "block")
    loops = sch.get_loops(b)
    draw_int = lambda lo, hi, label: data.draw(st.integers(lo, hi), label=label)  # noqa: E731
    if op == "split" and loops:
        lp = _pick(data, loops, "loop")
        n = draw_int(2, 3, "n")
        if data.draw(st.booleans(), label="perfect"):
            factors = sch.sample_perfect_tile(lp, n, max_innermost_factor=8)
        else:
            factors = [draw_int(1, 5, "factor") for _ in range(n - 1)]
            factors.insert(draw_int(0, n - 1, "none_at"), None)
        return lambda: sch.split(lp, factors)
    if op == "fuse" and loops:
        start = draw_int(0, len(loops) - 1, "start")
        chosen = loops[start:start + draw_int(1, 3, "count")]
        return lambda: sch.fuse(*chosen)
    if op == "reorder" and len(loops) >= 2:
        chosen = data.draw(st.permutations(loops), label="order")[: draw_int(2, len(loops), "k")]
        return lambda: sch.reorder(*chosen)
    if op in ("parallel", "vectorize", "unroll") and loops:
        lp = _pick(data, loops, "loop")
        return lambda: getattr(sch, op)(lp)
    if op == "annotate":
        target = _pick(data, [b] + loops, "target")
        value = draw_int(0, 64, "value")
        return lambda: sch.annotate(target, "test.hint", value)
    if op == "compute_at":
        loc = sch.sample_compute_location(b)
        unit = data.draw(st.booleans(), label="unit")
        return lambda: sch.compute_at(b, loc, preserve_unit_loops=unit)
    if op == "reverse_compute_at":
        producers = sch.get_producers(b)
        if producers:
            ploops = sch.get_loops(_pick(data, producers, "producer"))
            if ploops:
                lp = _pick(data, ploops, "loop")
                return lambda: sch.reverse_compute_at(b, lp)
        return None
    if op == "compute_inline":
        return lambda: sch.compute_inline(b)
    if op == "reverse_compute_inline":
        return lambda: sch.reverse_compute_inline(b)
    if op == "cache_read":
        n_reads = len(sch.get(b).reads)
        if not n_reads:
            return None
        idx = draw_int(0, n_reads - 1, "buffer")
        scope = _pick(data, ["global", "local"], "scope")
        return lambda: sch.cache_read(b, idx, scope)
    if op == "cache_write":
        scope = _pick(data, ["global", "local"], "scope")
        return lambda: sch.cache_write(b, 0, scope)
    if op == "rfactor" and loops:
        lp = _pick(data, loops, "loop")
        return lambda: sch.rfactor(lp, 0)
    if op == "decompose_reduction" and loops:
        lp = _pick(data, loops, "loop")
        return lambda: sch.decompose_reduction(b, lp)
    if op == "storage_align":
        ndim = sch.get(b).writes[0].buffer.ndim
        args = (draw_int(0, ndim - 1, "axis"), draw_int(1, 8, "factor"), draw_int(0, 3, "offset"))
        return lambda: sch.storage_align(b, 0, *args)
    if op == "set_scope":
        scope = _pick(data, ["global", "local"], "scope")
        return lambda: sch.set_scope(b, 0, scope)
    return None


@pytest.mark.parametrize("name", workloads.names())
def test_random_schedules_preserve_semantics(name):
    wl = workloads.get(name, size="small")
    arrays = wl.make_inputs(seed=0)
    expected = wl.reference(*arrays)
    stats = {"steps": 0, "applied": 0, "changed": 0}

    # seeded per workload (the same sequences every run) and no shrinking: each example
    # compiles a kernel, and the failure report prints the whole trace and program anyway
    @seed(zlib.crc32(name.encode()))
    @settings(max_examples=10, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.data())
    def check(data):
        sch = Schedule(wl.func, seed=data.draw(st.integers(0, 2**31 - 1), label="seed"))
        for _ in range(data.draw(st.integers(1, MAX_STEPS), label="steps")):
            op = data.draw(st.sampled_from(OPS), label="op")
            try:
                call = _prepare(sch, data, op)
            except ScheduleError:
                call = None  # e.g. sampling a compute location of the output block
            if call is None:
                continue
            stats["steps"] += 1
            before = snapshot(sch)
            try:
                call()
            except ScheduleError:
                assert snapshot(sch) == before, f"a failed {op} changed the schedule"
                continue
            stats["applied"] += 1
        func = sch.mod["main"]
        if not tir.structural_equal(func, wl.func):
            stats["changed"] += 1
        _check_outputs(func, arrays, expected, wl, lambda: f"{sch.trace}\n{tir.script(func)}")
        replayed = Schedule(wl.func)
        Trace.from_json(json.loads(json.dumps(sch.trace.as_json()))).apply_to_schedule(replayed)
        tir.assert_structural_equal(replayed.mod, sch.mod)

    check()
    assert stats["applied"] >= 0.3 * stats["steps"], stats
    assert stats["changed"] >= 3, stats
