"""Stopping a tuning run on Ctrl-C or SIGTERM without losing what it measured.

While a run is on, SIGINT and SIGTERM do not raise: the first one asks the run to stop (the
task scheduler hands out no more candidates, lets the measurements in flight finish for a few
seconds, writes every result and returns), the second one asks it to stop at once (in-flight
work is dropped, results are still written), a third raises KeyboardInterrupt. Handlers can
only be installed from the main thread; elsewhere a KeyboardInterrupt reaches the scheduler's
loop, which stops the same way.
"""

from __future__ import annotations

import signal
import sys
import threading

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopOnSignal:
    """Context manager: while active, SIGINT/SIGTERM call the `on_stop(force)` callbacks.

    `requested` is the number of stop signals received (0: none). `quiet` silences the one
    line printed on stderr at the first signal.
    """

    def __init__(self, quiet: bool = False):
        self.requested = 0
        self.signum = None
        self.quiet = quiet
        self._callbacks: list = []
        self._previous: dict = {}
        self._depth = 0

    def on_stop(self, callback) -> None:
        """callback(force: bool) at each stop request (one already made is replayed)."""
        self._callbacks.append(callback)
        for n in range(self.requested):
            callback(n > 0)

    def request(self, signum: int = signal.SIGINT) -> None:
        """Ask the run to stop, as a signal does (the second call: at once)."""
        self.requested += 1
        self.signum = self.signum or signum
        if self.requested == 1 and not self.quiet:
            print("raytune_ms: stopping - saving the results measured so far (press Ctrl-C again to "
                  "drop the measurements in flight)", file=sys.stderr, flush=True)
        for callback in list(self._callbacks):
            callback(self.requested > 1)

    def _handle(self, signum, frame) -> None:
        if self.requested >= 2:
            raise KeyboardInterrupt
        self.request(signum)

    @property
    def exit_code(self) -> int:
        """The shell's code for a process ended by the signal received (130 for SIGINT)."""
        return 128 + int(self.signum or signal.SIGINT)

    def __enter__(self) -> StopOnSignal:
        self._depth += 1
        if self._depth == 1 and threading.current_thread() is threading.main_thread():
            for sig in SIGNALS:
                try:
                    self._previous[sig] = signal.signal(sig, self._handle)
                except (ValueError, OSError):  # not settable here (an embedded interpreter)
                    pass
        return self

    def __exit__(self, *exc) -> bool:
        self._depth -= 1
        if self._depth > 0:
            return False
        for sig, previous in self._previous.items():
            signal.signal(sig, signal.SIG_DFL if previous is None else previous)
        self._previous.clear()
        return False


def interrupted_line(trials: int, saved: int | None) -> str:
    """The one line a stopped run ends with."""
    saved_text = "" if saved is None else f"; {saved} record{'s' * (saved != 1)} saved"
    return f"interrupted after {trials} trial{'s' * (trials != 1)}{saved_text}; rerun to resume"


class TuningInterrupted(KeyboardInterrupt):
    """Raised by tune_tasks/tune_tir once a run stopped by Ctrl-C/SIGTERM has written its
    results: `result` is the run's TuneResult, `database` the store holding every record."""

    def __init__(self, result):
        super().__init__(interrupted_line(result.trials, result.records_saved))
        self.result = result
        self.database = result.database
