"""transform_layout and IndexMap: the new shape and accesses, the trace (JSON and Python), errors
that leave the schedule unchanged, and a fuzz over the suite: random bijective maps on random
buffers, mixed with other primitives, computing the numpy reference (interpreted and compiled)
once the parameters are converted with `IndexMap.apply_to_array`."""

import json
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from raytune_ms import build, tir, workloads
from raytune_ms.schedule import Schedule, ScheduleError, Trace
from raytune_ms.testing import assert_error_leaves_unchanged, bare_matmul, interpret, random_inputs
from raytune_ms.tir import IndexMap, IndexMapError, Var


def test_index_map_text_forms_and_array_conversion():
    m = IndexMap.from_func(lambda k, j: (j // 16, k, j % 16))
    assert m.as_python() == "lambda k, j: ((j // 16), k, (j % 16))"
    assert tir.structural_equal(IndexMap.from_json(m.as_json()), m)
    assert IndexMap.from_func(eval(m.as_python())).as_python() == m.as_python()
    assert m.check_bijective((8, 32)) == (2, 8, 16)
    a = np.arange(8 * 32).reshape(8, 32)
    np.testing.assert_array_equal(m.apply_to_array(a), a.reshape(8, 2, 16).transpose(1, 0, 2))


def test_index_map_rejects_padding_and_collisions():
    with pytest.raises(IndexMapError, match="padding"):
        IndexMap.from_func(lambda i, j: (j // 16, i, j % 8)).check_bijective((4, 32))
    with pytest.raises(IndexMapError, match="same place"):
        IndexMap.from_func(lambda i, j: ((i * j) % 4, (i + j) % 4)).check_bijective((4, 4))
    with pytest.raises(IndexMapError, match="2 dimensions"):
        IndexMap.from_func(lambda i: (i,), 2)


def test_mixed_radix_maps_are_proved_without_enumerating():
    from raytune_ms.tir.index_map import _mixed_radix

    flat = IndexMap.from_func(lambda k, j: ((k * 1024 + j) // 16 % 64, k, (k * 1024 + j) % 16))
    assert _mixed_radix(flat, (4096, 1024))  # 4M elements: no enumeration needed
    assert flat.check_bijective((4096, 1024)) == (64, 4096, 16)
    assert _mixed_radix(IndexMap.from_func(lambda k, j: (j // 16, k, j % 16)), (8, 32))
    assert not _mixed_radix(IndexMap.from_func(lambda k, j: (j // 16, k, j % 8)), (8, 32))
    assert not _mixed_radix(IndexMap.from_func(lambda k, j: (j // 16, k, j % 16)), (8, 40))


def test_transform_layout_of_a_parameter_compiles_and_replays():
    f = bare_matmul(8, 32, 4)
    sch = Schedule(f)
    sch.transform_layout(sch.get_block("C"), ("read", 1), lambda k, j: (j // 16, k, j % 16))
    g = sch.mod["main"]
    assert g.params[1].shape == (2, 4, 16) and g.params[1].name == "B"
    arrays = random_inputs(f)
    want = interpret(f, arrays)[2]
    m = IndexMap.from_func(lambda k, j: (j // 16, k, j % 16))
    converted = [arrays[0], m.apply_to_array(arrays[1]), arrays[2].copy()]
    np.testing.assert_allclose(interpret(g, converted)[2], want, rtol=1e-5)
    build(g, "llvm")(*converted)
    np.testing.assert_allclose(converted[2], want, rtol=1e-5)
    _assert_replays(f, sch)
    assert "index_map=lambda k, j: ((j // 16), k, (j % 16))" in str(sch.trace)


def test_transform_layout_by_buffer_name_and_of_an_output():
    f = bare_matmul(8, 12, 4)
    sch = Schedule(f)
    sch.transform_layout("C", "C", lambda i, j: (j, i))
    assert sch.mod["main"].params[2].shape == (12, 8)
    arrays = random_inputs(f)
    want = interpret(f, arrays)[2]
    got = interpret(sch.mod["main"], arrays[:2] + [arrays[2].T.copy()])[2]
    np.testing.assert_allclose(got, want.T, rtol=1e-5)


def test_errors_name_the_buffer_and_leave_the_schedule_unchanged():
    sch = Schedule(bare_matmul(8, 32, 4))
    b = sch.get_block("C")
    assert_error_leaves_unchanged(sch, lambda: sch.transform_layout(b, "X", lambda i, j: (j, i)), "'X'", "'C'")
    assert_error_leaves_unchanged(
        sch, lambda: sch.transform_layout(b, ("read", 1), lambda k, j: (j // 16, k, j % 8)), "'B'", "padding")
    assert_error_leaves_unchanged(sch, lambda: sch.transform_layout(b, ("read", 5), lambda k, j: (j, k)), "index 5")
    assert_error_leaves_unchanged(
        sch, lambda: sch.transform_layout(b, ("read", 0), lambda k: (k,)), "'A'", "2 dimensions")
    with pytest.raises(ScheduleError, match="pad_value"):
        sch.transform_layout(b, ("read", 0), lambda i, k: (k, i), pad_value=0.0)


def _assert_replays(func, sch):
    replayed = Schedule(func)
    Trace.from_json(json.loads(json.dumps(sch.trace.as_json()))).apply_to_schedule(replayed)
    tir.assert_structural_equal(replayed.mod, sch.mod)
    scripted = Schedule(func)
    exec("\n".join(sch.trace.as_python()), {"sch": scripted})
    tir.assert_structural_equal(scripted.mod, sch.mod)


# ---------------------------------------------------------------------------- fuzz


def _draw_map(data, shape) -> IndexMap:
    """A random bijection: split some dimensions by a divisor, permute the parts, maybe fuse
    two neighbours."""
    ix = [Var(f"i{d}") for d in range(len(shape))]
    parts = []
    for d, n in enumerate(shape):
        divisors = [f for f in range(2, n) if n % f == 0]
        if divisors and data.draw(st.booleans(), label=f"split{d}"):
            f = data.draw(st.sampled_from(divisors), label=f"factor{d}")
            parts += [(ix[d] // f, n // f), (ix[d] % f, f)]
        else:
            parts.append((ix[d] + 0, n))
    order = data.draw(st.permutations(range(len(parts))), label="order")
    parts = [parts[p] for p in order]
    if len(parts) >= 2 and data.draw(st.booleans(), label="fuse"):
        k = data.draw(st.integers(0, len(parts) - 2), label="fuse_at")
        (a, _), (b, eb) = parts[k], parts[k + 1]
        parts[k:k + 2] = [(a * eb + b, None)]
    return IndexMap(ix, [e for e, _ in parts])


def _other_op(sch, data):
    blocks = sch.get_child_blocks(sch.get_block("root"))
    b = blocks[data.draw(st.integers(0, len(blocks) - 1), label="block")]
    loops = sch.get_loops(b)
    op = data.draw(st.sampled_from(["split", "reorder", "cache_read", "compute_at"]), label="op")
    if op == "split" and loops:
        lp = loops[data.draw(st.integers(0, len(loops) - 1), label="loop")]
        sch.split(lp, sch.sample_perfect_tile(lp, 2, max_innermost_factor=8))
    elif op == "reorder" and len(loops) >= 2:
        sch.reorder(*data.draw(st.permutations(loops), label="perm")[:2])
    elif op == "cache_read" and sch.get(b).reads:
        sch.cache_read(b, data.draw(st.integers(0, len(sch.get(b).reads) - 1), label="read"),
                       data.draw(st.sampled_from(["global", "local"]), label="scope"))
    elif op == "compute_at":
        consumers = sch.get_consumers(b)
        if consumers:
            loc = sch.get_loops(consumers[0])
            if loc:
                sch.compute_at(b, loc[data.draw(st.integers(0, len(loc) - 1), label="at")])


@pytest.mark.parametrize("name", workloads.names())
def test_random_layouts_preserve_semantics(name):
    wl = workloads.get(name, size="small")
    arrays = wl.make_inputs(seed=0)
    expected = wl.reference(*arrays)
    stats = {"applied": 0}

    @seed(zlib.crc32(name.encode()))
    @settings(max_examples=6, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.data())
    def check(data):
        sch = Schedule(wl.func, seed=data.draw(st.integers(0, 2**31 - 1), label="seed"))
        for _ in range(data.draw(st.integers(0, 2), label="before")):
            try:
                _other_op(sch, data)
            except ScheduleError:
                pass
        blocks = sch.get_child_blocks(sch.get_block("root"))
        b = blocks[data.draw(st.integers(0, len(blocks) - 1), label="block")]
        block = sch.get(b)
        accesses = [("read", i, r) for i, r in enumerate(block.reads)]
        accesses += [("write", i, r) for i, r in enumerate(block.writes)]
        kind, idx, region = accesses[data.draw(st.integers(0, len(accesses) - 1), label="buffer")]
        imap = _draw_map(data, region.buffer.shape)
        sch.transform_layout(b, (kind, idx), imap)
        stats["applied"] += 1
        for _ in range(data.draw(st.integers(0, 2), label="after")):
            try:
                _other_op(sch, data)
            except ScheduleError:
                pass
        func = sch.mod["main"]
        moved = [i for i, p in enumerate(wl.func.params) if p.name == region.buffer.name]
        converted = [imap.apply_to_array(a) if i in moved else a for i, a in enumerate(arrays)]
        for how in ("interpreted", "compiled"):
            if how == "interpreted":
                outs = interpret(func, converted)
            else:
                outs = [a.copy() for a in converted]
                build(func, "llvm")(*outs)
            for i, (got, want) in enumerate(zip(outs[wl.num_inputs:], expected)):
                if wl.num_inputs + i in moved:
                    want = imap.apply_to_array(want)
                np.testing.assert_allclose(got, want, rtol=wl.rtol, atol=wl.atol,
                                           err_msg=f"{name} ({how}):\n{sch.trace}\n{tir.script(func)}")
        _assert_replays(wl.func, sch)

    check()
    assert stats["applied"] >= 1
