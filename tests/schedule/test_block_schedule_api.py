"""Block primitives through the Schedule: a rejected call raises ScheduleError naming what is
wrong and leaves the module and the trace as they were; accepted calls replay from the trace."""

import json

import pytest

from raytune_ms import tir
from raytune_ms.schedule import Schedule, Trace
from raytune_ms.testing import assert_error_leaves_unchanged, assert_same_result
from raytune_ms.testing import bare_matmul as matmul


@pytest.fixture
def sch():
    return Schedule(matmul(8, 8, 4, relu=True))


def test_each_primitive_rejects_cleanly(sch):
    c, d = sch.get_block("C"), sch.get_block("D")
    i, j, k = sch.get_loops(c)
    di, dj = sch.get_loops(d)
    cases = [
        (lambda: sch.compute_at(c, i), ["compute_at", "'i'", "'C'"]),
        (lambda: sch.compute_at(d, i), ["compute_at", "'D'", "output"]),
        (lambda: sch.reverse_compute_at(d, k), ["reverse_compute_at", "'C'", "'k'"]),
        (lambda: sch.compute_inline(c), ["compute_inline", "'C'", "reduction"]),
        (lambda: sch.reverse_compute_inline(d), ["reverse_compute_inline", "'C'", "reduction"]),
        (lambda: sch.cache_read(c, 5, "local"), ["cache_read", "'C'", "index 5"]),
        (lambda: sch.cache_write(c, 0, "texture"), ["cache_write", "'C'", "scope"]),
        (lambda: sch.set_scope(d, 0, "local"), ["set_scope", "'D'", "parameter"]),
        (lambda: sch.rfactor(i, 0), ["rfactor", "'i'", "'C'"]),
        (lambda: sch.decompose_reduction(c, di), ["decompose_reduction", "'i'", "'C'"]),
        (lambda: sch.storage_align(c, 0, 0, 0, 1), ["storage_align", "'C'", "factor"]),
    ]
    for call, words in cases:
        assert_error_leaves_unchanged(sch, call, *words)


def test_accepted_calls_replay(sch):
    f0 = sch.mod["main"]
    c, d = sch.get_block("C"), sch.get_block("D")
    a_local = sch.cache_read(c, 0, "local")
    sch.cache_write(c, 0, "local")
    i, j, k = sch.get_loops(c)
    ko, ki = sch.split(k, [2, 2])
    rf = sch.rfactor(ki, 0)
    sch.compute_at(a_local, sch.get_loops(rf)[0])
    sch.reverse_compute_inline(d)
    sch.set_scope(rf, 0, "local")
    assert [b.name for b in tir.collect(sch.mod["main"].body, tir.Block)][1:] == \
        ["A_local", "C_rf", "C", "C_local"]
    assert_same_result(f0, sch.mod["main"])
    replay = Schedule(f0)
    Trace.from_json(json.loads(json.dumps(sch.trace.as_json()))).apply_to_schedule(replay, False)
    tir.assert_structural_equal(replay.mod, sch.mod)
