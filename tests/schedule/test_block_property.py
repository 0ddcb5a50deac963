"""Property: on random tilings, every accepted compute_at / reverse_compute_at (any loop, any
index, unit loops kept or not) and the inlines/caches around them keep the program's results;
intermediates start as NaN, so a missed element shows."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from raytune_ms import te, tir
from raytune_ms.schedule import ScheduleError
from raytune_ms.schedule.primitives.block_cache import cache_read, cache_write
from raytune_ms.schedule.primitives.block_compute_at import compute_at, reverse_compute_at
from raytune_ms.schedule.primitives.block_inline import compute_inline, reverse_compute_inline
from raytune_ms.schedule.primitives.dependency import consumers, producers
from raytune_ms.schedule.primitives.loop_transform import fuse, reorder, split
from raytune_ms.testing import assert_same_result, loops_of


def program(kind):
    A = te.placeholder((10, 12), name="A")
    B = te.compute((10, 12), lambda i, j: A[i, j] * 2.0, name="B")
    if kind == "window":
        C = te.compute((8, 10), lambda i, j: B[i, j] + B[i + 2, j + 1] + B[i + 1, j + 2], name="C")
    elif kind == "transpose":
        C = te.compute((12, 10), lambda i, j: B[j, i] + 1.0, name="C")
    else:
        k = te.reduce_axis((0, 12), name="k")
        C = te.compute((10,), lambda i: te.sum(B[i, k] * B[i, k], axis=k), name="C")
    D = te.compute(C.shape, lambda *idx: C[idx] * 0.5 + 1.0, name="D")
    return te.create_prim_func([A, D])


def tile(data, func, block):
    """Random splits, a fuse and a reorder of `block`'s loops."""
    for _ in range(data.draw(st.integers(0, 3), label="splits")):
        loops = loops_of(func, block)
        lp = data.draw(st.sampled_from(loops), label="split loop")
        factor = data.draw(st.integers(1, 5), label="factor")
        try:
            func, _ = split(func, lp, [None, factor])
        except ScheduleError:
            pass
    loops = loops_of(func, block)
    if len(loops) >= 2 and data.draw(st.booleans(), label="reorder"):
        order = data.draw(st.permutations(loops), label="order")
        try:
            func = reorder(func, order)
        except ScheduleError:
            pass
    loops = loops_of(func, block)
    if len(loops) >= 2 and data.draw(st.booleans(), label="fuse"):
        try:
            func = fuse(func, loops[:2])[0]
        except ScheduleError:
            pass
    return func


@settings(max_examples=80, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_random_moves_preserve_results(data):
    kind = data.draw(st.sampled_from(["window", "transpose", "reduce"]), label="program")
    original = program(kind)
    f = original
    if data.draw(st.booleans(), label="cache"):
        try:
            f, _ = cache_write(f, "C", 0, "local")
        except ScheduleError:
            pass
    if data.draw(st.booleans(), label="cache_read"):
        f, _ = cache_read(f, "B", 0, "local")
    tiled = data.draw(st.sampled_from(["B", "C", "D"]), label="tiled block")
    f = tile(data, f, tiled)
    names = [b.name for b in tir.collect(f.body, tir.Block) if b.name != "root"]
    for _ in range(data.draw(st.integers(1, 3), label="moves")):
        if len(names) < 2:
            break
        block = data.draw(st.sampled_from(names), label="block")
        op = data.draw(st.sampled_from(["at", "reverse", "inline", "reverse_inline"]), label="op")
        related = consumers(f, block) if op == "at" else producers(f, block)
        target = data.draw(st.sampled_from(related or [n for n in names if n != block]),
                           label="target")
        loops = loops_of(f, target)
        try:
            if op in ("at", "reverse") and loops:
                loop = data.draw(st.sampled_from(loops), label="loop")
                index = data.draw(st.sampled_from([-1, -2, 0, 1]), label="index")
                unit = data.draw(st.booleans(), label="unit")
                fn = compute_at if op == "at" else reverse_compute_at
                f = fn(f, block, loop, unit, index)
            elif op == "inline":
                f = compute_inline(f, block)
            elif op == "reverse_inline":
                f = reverse_compute_inline(f, block)
        except ScheduleError:
            continue
        names = [b.name for b in tir.collect(f.body, tir.Block) if b.name != "root"]
        assert_same_result(original, f)
