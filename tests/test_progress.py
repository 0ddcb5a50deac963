"""Progress output: compact lines (not a redrawn bar) when stderr is not a terminal, a live bar
when it is; nothing is printed for snapshots that bring nothing new."""

import io

from raytune_ms.progress import ProgressBar


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def snapshot(done, best_ms=None, errors=0, elapsed=0.0):
    return {"trials_done": done, "errors": errors, "elapsed_s": elapsed,
            "tasks": [{"best_ms": best_ms}]}


def test_a_long_run_off_a_terminal_prints_a_few_compact_lines():
    stream, clock = io.StringIO(), Clock()
    bar = ProgressBar(64, flops=2 * 1024**3, stream=stream, clock=clock)
    assert not bar.live
    for tick in range(200):  # a 100 s run polled every 0.5 s
        clock.now = tick * 0.5
        bar(snapshot(min(64, tick * 64 // 200), best_ms=20.0 if tick else None, elapsed=clock.now))
    bar(snapshot(64, best_ms=19.2, elapsed=100.0))
    bar.close()
    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue()
    assert 8 <= len(lines) <= 21, lines  # every 10 % and at most every 10 s, plus the end
    assert lines[-1].startswith("raytune_ms: 64/64 trials (100%), best 19.2 ms = 111.85 GFLOP/s, 0 errors")


def test_snapshots_without_news_print_nothing_and_the_end_is_printed_once():
    stream, clock = io.StringIO(), Clock()
    bar = ProgressBar(10, flops=1, stream=stream, clock=clock)
    for tick in range(50):
        clock.now = tick * 30.0
        bar(snapshot(3, best_ms=1.0, elapsed=clock.now))
    bar.close()
    assert stream.getvalue().count("\n") == 1


def test_a_live_bar_on_a_terminal_and_nothing_when_disabled():
    stream = io.StringIO()
    live = ProgressBar(8, flops=1, stream=stream, live=True)
    live(snapshot(4, best_ms=1.0))
    live.close()
    assert "4/8" in stream.getvalue() and "best_gflops" in stream.getvalue()
    quiet_stream = io.StringIO()
    quiet = ProgressBar(8, flops=1, enabled=False, stream=quiet_stream)
    quiet(snapshot(4, best_ms=1.0))
    quiet.close()
    assert quiet_stream.getvalue() == ""
