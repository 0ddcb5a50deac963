import time

from raytune_ms.profiler import Profiler


def test_timeit_accumulates_in_every_active_profiler():
    with Profiler() as outer:
        with Profiler.timeit("A"):
            time.sleep(0.01)
        with Profiler() as inner:
            assert Profiler.current() is inner
            with Profiler.timeit("A"):
                time.sleep(0.01)
            with Profiler.timeit("B"):
                pass
    assert Profiler.current() is None
    assert outer.get()["A"] > inner.get()["A"] > 0
    assert set(inner.get()) == {"A", "B", "Total"}
    assert outer.get()["Total"] >= outer.get()["A"]


def test_table_lists_phases_longest_first():
    with Profiler() as p:
        with Profiler.timeit("slow"):
            time.sleep(0.02)
        with Profiler.timeit("fast"):
            pass
    lines = p.table().splitlines()
    assert "Name" in lines[0] and "Percentage" in lines[0]
    names = [ln.split("|")[1].strip() for ln in lines[2:]]
    assert names == ["Total", "slow", "fast"]
