"""The machine's measurement slot: a measurement excludes builds, builds share, and a waiting
measurement is not starved by a stream of builds."""

import threading
import time

from raytune_ms.process import MeasureSlot


def _hold(cm, events, name, hold_s, started=None):
    with cm:
        events.append(("enter", name, time.monotonic()))
        if started is not None:
            started.set()
        time.sleep(hold_s)
        events.append(("exit", name, time.monotonic()))


def test_builds_share_the_slot(tmp_path):
    slot = MeasureSlot(str(tmp_path))
    events = []
    threads = [threading.Thread(target=_hold, args=(slot.build(), events, f"b{i}", 0.3)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    enters = [e for e in events if e[0] == "enter"]
    first_exit = min(e[2] for e in events if e[0] == "exit")
    assert all(e[2] < first_exit for e in enters), "two builds should overlap"


def test_measurement_waits_for_builds_and_blocks_new_ones(tmp_path):
    slot = MeasureSlot(str(tmp_path))
    events = []
    building = threading.Event()
    b1 = threading.Thread(target=_hold, args=(slot.build(), events, "build1", 0.4, building))
    b1.start()
    building.wait()
    m = threading.Thread(target=_hold, args=(slot.measure(), events, "measure", 0.3))
    m.start()
    time.sleep(0.1)  # the measurement is now waiting at the gate
    b2 = threading.Thread(target=_hold, args=(slot.build(), events, "build2", 0.1))
    b2.start()
    for t in (b1, m, b2):
        t.join()
    at = {(kind, name): t for kind, name, t in events}
    assert at[("enter", "measure")] >= at[("exit", "build1")]
    assert at[("enter", "build2")] >= at[("exit", "measure")], "a waiting measurement goes first"


def test_slot_is_released_when_the_holder_dies(tmp_path):
    import multiprocessing

    slot = MeasureSlot(str(tmp_path))
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(target=_die_holding, args=(str(tmp_path),))
    proc.start()
    proc.join()
    done = threading.Event()

    def measure():
        with slot.measure():
            done.set()

    t = threading.Thread(target=measure, daemon=True)
    t.start()
    assert done.wait(5), "a dead holder must not keep the slot"


def _die_holding(directory):
    import os

    slot = MeasureSlot(directory)
    with slot.build():
        os._exit(1)
