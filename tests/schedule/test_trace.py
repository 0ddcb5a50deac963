"""Trace: JSON round trip, replay in a fresh process, Python printing, decisions, postproc
removal and dead-code elimination."""

import json
import math
import os
import subprocess
import sys

import pytest

from raytune_ms import tir
from raytune_ms.schedule import Schedule, ScheduleError, Trace
from raytune_ms.testing import assert_same_semantics, matmul, tile_matmul


@pytest.fixture
def tuned():
    f = matmul(n=32, m=24, k=16)
    return f, tile_matmul(Schedule(f, seed=2))


def test_tiled_schedule_keeps_semantics(tuned):
    f, sch = tuned
    assert_same_semantics(f, sch.mod["main"])


def test_json_round_trip(tuned):
    f, sch = tuned
    obj = sch.trace.as_json()
    text = json.dumps(obj)
    back = Trace.from_json(json.loads(text))
    assert back.as_json() == obj
    insts, decisions = obj
    assert all(len(x) == 4 for x in insts)
    assert insts[0] == ["GetBlock", [], ["C", "main"], ["b0"]]
    assert any(x[0] == "SamplePerfectTile" for x in insts)
    assert all(isinstance(d[0], int) for d in decisions)
    fresh = Schedule(f)
    back.apply_to_schedule(fresh, remove_postproc=False)
    tir.assert_structural_equal(fresh.mod, sch.mod)


def test_string_inputs_are_quoted_in_json():
    sch = Schedule(matmul())
    b = sch.get_block("C")
    sch.annotate(b, "note", "b0")  # a literal that looks like an RV name
    obj = sch.trace.as_json()
    assert obj[0][1][1] == ["b0", '"b0"']
    fresh = Schedule(matmul())
    Trace.from_json(obj).apply_to_schedule(fresh)
    assert fresh.get(fresh.get_block("C")).annotation("note") == "b0"


def test_replay_from_json_in_a_fresh_process(tuned, tmp_path):
    f, sch = tuned
    (tmp_path / "func.json").write_text(tir.to_json(f))
    (tmp_path / "trace.json").write_text(json.dumps(sch.trace.as_json()))
    code = (
        "import json, sys\n"
        "from raytune_ms import tir\n"
        "from raytune_ms.schedule import Schedule, Trace\n"
        f"d = {str(tmp_path)!r}\n"
        "f = tir.from_json(open(d + '/func.json').read())\n"
        "t = Trace.from_json(json.load(open(d + '/trace.json')))\n"
        "s = Schedule(f)\n"
        "t.apply_to_schedule(s, remove_postproc=False)\n"
        "print(tir.structural_hash(s.mod))\n"
    )
    env = dict(os.environ, PYTHONHASHSEED="123")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True)
    assert out.stdout.strip() == tir.structural_hash(sch.mod)


def test_as_python_executes_and_reproduces(tuned):
    f, sch = tuned
    lines = sch.trace.as_python()
    assert str(sch.trace) == "\n".join(lines)
    assert lines[0] == "b0 = sch.get_block(name='C', func_name='main')"
    fresh = Schedule(f)
    exec("\n".join(lines), {"sch": fresh})
    tir.assert_structural_equal(fresh.mod, sch.mod)


def test_with_decision_changes_the_tiles(tuned):
    f, sch = tuned
    tile = next(x for x in sch.trace.insts if x.kind.name == "SamplePerfectTile")
    new = sch.trace.with_decision(tile, [1, 2, 4, 4], remove_postproc=True)
    fresh = Schedule(f)
    new.apply_to_schedule(fresh, remove_postproc=True)
    assert_same_semantics(f, fresh.mod["main"])
    assert tir.structural_hash(fresh.mod) != tir.structural_hash(sch.mod)
    loops = fresh.get_loops(fresh.get_block("C"))
    assert fresh.get(loops[1]).extent.value == 2  # i_1
    # the original trace is untouched
    assert sch.trace.get_decision(tile) != [1, 2, 4, 4]


def test_compact_json_is_the_json_text_also_when_remembered(tuned):
    """compact_json remembers the instructions' text per list of instruction objects: a trace
    sharing them with other decisions (a mutation) still gets its own decisions."""
    _, sch = tuned
    tile = next(x for x in sch.trace.insts if x.kind.name == "SamplePerfectTile")
    first, other = sch.trace, sch.trace.with_decision(tile, [1, 2, 4, 4], remove_postproc=False)
    for trace in (first, other, first, other):
        assert trace.compact_json() == json.dumps(trace.as_json(), separators=(",", ":"))
    assert first.compact_json() != other.compact_json()
    assert Trace.from_json(other.compact_json()).as_json() == other.as_json()


def test_decision_provider_and_bad_decisions(tuned):
    f, sch = tuned

    def provider(inst, inputs, attrs, decision):
        if inst.kind.name == "SamplePerfectTile" and attrs[0] == 4:
            return [1, 1, 1, math.prod(decision)]  # everything in the innermost loop
        return decision

    fresh = Schedule(f)
    sch.trace.apply_to_schedule(fresh, False, provider)
    assert_same_semantics(f, fresh.mod["main"])

    def bad(inst, inputs, attrs, decision):
        return [3, 3, 3, 3] if inst.kind.name == "SamplePerfectTile" else decision

    with pytest.raises(ScheduleError, match="not 4 positive factors"):
        sch.trace.apply_to_schedule(Schedule(f), False, bad)


def test_remove_postproc_stops_at_enter_postproc():
    f = matmul()
    sch = Schedule(f)
    b = sch.get_block("C")
    i, j, k = sch.get_loops(b)
    sch.parallel(i)
    sch.enter_postproc()
    sch.unroll(k)
    full, trimmed = Schedule(f), Schedule(f)
    sch.trace.apply_to_schedule(full, remove_postproc=False)
    sch.trace.apply_to_schedule(trimmed, remove_postproc=True)
    assert len(trimmed.trace) == len(sch.trace) - 2
    assert full.get(full.get_loops(full.get_block("C"))[2]).kind == "unrolled"
    assert trimmed.get(trimmed.get_loops(trimmed.get_block("C"))[2]).kind == "serial"
    assert len(sch.trace.as_json(remove_postproc=True)[0]) == len(sch.trace) - 2


def test_simplified_drops_unused_pure_instructions():
    f = matmul()
    sch = Schedule(f, seed=0)
    b = sch.get_block("C")
    sch.get_block("D")  # unused
    i, j, k = sch.get_loops(b)
    sch.sample_perfect_tile(j, 2)  # unused sample
    sch.split(i, sch.sample_perfect_tile(i, 2))
    simple = sch.trace.simplified(remove_postproc=True)
    kinds = [x.kind.name for x in simple.insts]
    assert kinds == ["GetBlock", "GetLoops", "SamplePerfectTile", "Split"]
    fresh = Schedule(f)
    simple.apply_to_schedule(fresh, remove_postproc=True)
    tir.assert_structural_equal(fresh.mod, sch.mod)


def test_replay_on_the_wrong_program_fails_cleanly(tuned):
    from raytune_ms.testing import chain

    _, sch = tuned
    with pytest.raises(ScheduleError, match="no block named 'D'"):
        sch.trace.apply_to_schedule(Schedule(chain()), remove_postproc=False)


def test_from_json_rejects_malformed():
    with pytest.raises(ValueError):
        Trace.from_json([[["GetLoops", ["b9"], [], ["l0"]]], []])
    with pytest.raises(ValueError):
        Trace.from_json([[["NoSuchKind", [], [], []]], []])
    with pytest.raises(ValueError):
        Trace.from_json([[["GetBlock", [], ["C", "main"]]], []])


def test_determinism_under_seed():
    f = matmul(n=32, m=24, k=16)
    a = tile_matmul(Schedule(f, seed=9))
    b = tile_matmul(Schedule(f, seed=9))
    assert a.trace.as_json() == b.trace.as_json()
    assert tir.structural_hash(a.mod) == tir.structural_hash(b.mod)
    hashes = {tir.structural_hash(tile_matmul(Schedule(f, seed=s)).mod) for s in range(8)}
    assert len(hashes) > 1


def test_show_prints_program_and_trace(capsys):
    sch = Schedule(matmul())
    sch.parallel(sch.get_loops(sch.get_block("C"))[0])
    sch.show()
    out = capsys.readouterr().out
    assert "for i in parallel(16):" in out and "sch.parallel(loop=l1)" in out
    assert "Trace(3 instructions)" in repr(sch.trace)
