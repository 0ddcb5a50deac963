"""Progress of a tuning run, as a `progress_callback` for tune_tir / tune_tasks.

On a terminal (or in a notebook) a live tqdm bar: the notebook widget when ipywidgets is
installed, a text bar otherwise (tqdm.auto would warn "IProgress not found"). Anywhere else
(CI, `ray job` logs, captured stderr) a bar would print one line per redraw and flood the log,
so there it prints a compact line instead: at most every `every_s` seconds, at each
`every_frac` of the trials, and at the end. A run that ends early says why.
"""

from __future__ import annotations

import math
import sys
import time


def format_ms(ms: float | None) -> str:
    """A duration given in milliseconds, in the unit that suits it: 61 ns, 12.3 us, 4.56 ms, 1.23 s."""
    if ms is None or not math.isfinite(ms):
        return "n/a"
    for scale, unit in ((1e3, "s"), (1.0, "ms"), (1e-3, "us")):
        if ms >= scale:
            return f"{ms / scale:.3g} {unit}"
    return f"{ms * 1e6:.3g} ns"


def _in_notebook() -> bool:
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    return type(shell).__name__ == "ZMQInteractiveShell"


def interactive(stream=None) -> bool:
    """Whether progress is being watched: a notebook, or `stream` (default stderr) is a terminal."""
    if _in_notebook():
        return True
    try:
        return (sys.stderr if stream is None else stream).isatty()
    except (AttributeError, ValueError):
        return False


def _tqdm_class():
    """tqdm's notebook widget in a notebook that has ipywidgets, else its text bar."""
    if _in_notebook():
        try:
            import ipywidgets  # noqa: F401
            from tqdm.notebook import tqdm

            return tqdm
        except ImportError:
            pass
    from tqdm.std import tqdm

    return tqdm


class ProgressBar:
    """progress_callback(snapshot) showing trials done, best GFLOP/s, errors and the ETA.

    total: the trial budget; flops: the workload's floating-point operations (for GFLOP/s;
    None: each task's own estimate, from the snapshot); enabled: False shows nothing; stream:
    default sys.stderr; live: tqdm bar (default: when the stream is a terminal or a notebook's);
    every_s / every_frac: the compact line's pace.
    """

    def __init__(self, total: int, flops: int | None = None, enabled: bool = True, *, stream=None,
                 live: bool | None = None, every_s: float = 10.0, every_frac: float = 0.1,
                 clock=time.monotonic):
        self.total, self.flops = int(total), None if flops is None else int(flops)
        self.enabled = bool(enabled)
        self.stream = stream if stream is not None else sys.stderr
        self.live = interactive(self.stream) if live is None else bool(live)
        self.every_s, self.every_frac = float(every_s), float(every_frac)
        self.clock = clock
        self.bar = None
        self._last = None  # (trials, best, errors) last shown
        self._last_time = clock()
        self._last_step = 0
        self._snapshot = None
        if self.enabled and self.live:
            self.bar = _tqdm_class()(total=self.total, file=self.stream, unit="trial", dynamic_ncols=True)

    def _gflops(self, snapshot) -> float:
        if self.flops is None:
            return max([t["gflops"] or 0.0 for t in snapshot["tasks"]], default=0.0)
        best = [t["best_ms"] for t in snapshot["tasks"] if t["best_ms"]]
        return self.flops / (min(best) * 1e-3) / 1e9 if best else 0.0

    def __call__(self, snapshot: dict) -> None:
        if not self.enabled:
            return
        self._snapshot = snapshot
        state = (snapshot["trials_done"], self._gflops(snapshot), snapshot["errors"])
        if state == self._last:
            return  # nothing new: no redraw, no line
        if self.bar is not None:
            self._last = state
            self.bar.n = state[0]
            self.bar.set_postfix(best_gflops=f"{state[1]:.2f}", errors=state[2], refresh=False)
            self.bar.refresh()
            return
        step = math.floor(state[0] / max(1, self.total) / self.every_frac) if self.every_frac > 0 else 0
        if self.clock() - self._last_time >= self.every_s or step > self._last_step:
            self._print(snapshot, state)
            self._last_step = step

    def _print(self, snapshot, state) -> None:
        trials, gflops, errors = state
        elapsed = snapshot.get("elapsed_s", 0.0)
        eta = elapsed / trials * (self.total - trials) if 0 < trials < self.total else 0.0
        best = [t["best_ms"] for t in snapshot["tasks"] if t["best_ms"]]
        best_text = f"best {format_ms(min(best))} = {gflops:.2f} GFLOP/s" if best else "no valid result yet"
        pct = 100.0 * trials / max(1, self.total)
        ended = _ended_early(snapshot)
        tail = f"ended early: {ended}" if ended else f"ETA {eta:.0f} s"
        print(f"raytune_ms: {trials}/{self.total} trials ({pct:.0f}%), {best_text}, {errors} errors, "
              f"{elapsed:.0f} s elapsed, {tail}", file=self.stream, flush=True)
        self._last = state
        self._last_time = self.clock()

    def close(self) -> None:
        if self.bar is not None:
            ended = None if self._snapshot is None else _ended_early(self._snapshot)
            if ended:
                self.bar.set_description_str(f"ended early: {ended}", refresh=True)
            self.bar.close()
        elif self.enabled and self._snapshot is not None:
            state = (self._snapshot["trials_done"], self._gflops(self._snapshot), self._snapshot["errors"])
            if state != self._last:
                self._print(self._snapshot, state)


def _ended_early(snapshot: dict) -> str | None:
    """Why a finished run stopped before its budget (None while it runs, or if it did not)."""
    if not snapshot.get("tasks") or not all(t.get("done") for t in snapshot["tasks"]):
        return None
    return snapshot.get("stop_reason")
