"""Profiler: wall time spent in named phases of tuning (design-space generation, search,
building, running, callbacks), summed over every `Profiler.timeit(name)` block run while the
profiler is active (`with Profiler() as p:`)."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

_ACTIVE = threading.local()


def _stack() -> list:
    if not hasattr(_ACTIVE, "stack"):
        _ACTIVE.stack = []
    return _ACTIVE.stack


class Profiler:
    """Accumulates seconds per name while entered; nested profilers all see each block."""

    def __init__(self):
        self._secs: dict[str, float] = {}
        self._start = None

    def __enter__(self) -> Profiler:
        _stack().append(self)
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self._add("Total", time.perf_counter() - self._start)
        stack = _stack()
        if stack and stack[-1] is self:
            stack.pop()
        elif self in stack:
            stack.remove(self)

    def _add(self, name: str, secs: float) -> None:
        self._secs[name] = self._secs.get(name, 0.0) + secs

    def get(self) -> dict[str, float]:
        """Seconds per name (a copy)."""
        return dict(self._secs)

    def table(self) -> str:
        """The phases as a text table, longest first, with their share of "Total"."""
        total = self._secs.get("Total") or sum(self._secs.values()) or 1.0
        rows = sorted(self._secs.items(), key=lambda kv: -kv[1])
        width = max([len("Name")] + [len(k) for k, _ in rows])
        lines = [f"{'ID':>3} | {'Name':<{width}} | {'Time(s)':>10} | {'Percentage':>10}"]
        lines.append("-" * len(lines[0]))
        for i, (name, secs) in enumerate(rows):
            lines.append(f"{i:>3} | {name:<{width}} | {secs:>10.4f} | {100.0 * secs / total:>9.2f}%")
        return "\n".join(lines)

    @staticmethod
    def add_to_active(seconds: dict) -> None:
        """Add phases timed elsewhere (e.g. by a task scheduler in a Ray actor) to every active
        profiler of this thread; their "Total" is left to each profiler's own clock."""
        for prof in _stack():
            for name, secs in seconds.items():
                if name != "Total":
                    prof._add(name, secs)

    @staticmethod
    def current() -> Profiler | None:
        """The innermost active profiler of this thread."""
        stack = _stack()
        return stack[-1] if stack else None

    @staticmethod
    @contextmanager
    def timeit(name: str):
        """Time the enclosed block under `name` in every active profiler of this thread."""
        start = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - start
            for prof in _stack():
                prof._add(name, elapsed)
