"""Waiting for the first of many in-flight builds and runs, whatever they wait on.

Each future's `wait_handle()` names what can be blocked on, and its `waiter` knows how: the
builders and runners that make the futures supply it (the Ray layer's waits on ObjectRefs), so
this module knows no execution backend. concurrent.futures handles need no waiter; futures
without a handle are polled.
"""

from __future__ import annotations

import concurrent.futures as cf
import time

POLL_S = 0.005


def wait_concurrent(handles: list, timeout: float | None) -> bool:
    """The waiter of concurrent.futures.Future handles."""
    done, _ = cf.wait(handles, timeout=timeout, return_when=cf.FIRST_COMPLETED)
    return bool(done)


def _groups(futures):
    groups: dict = {}  # waiter -> {handle: None}
    polled = []
    for fut in futures:
        handle = fut.wait_handle() if hasattr(fut, "wait_handle") else None
        waiter = getattr(fut, "waiter", None)
        if waiter is None and isinstance(handle, cf.Future):
            waiter = wait_concurrent
        if handle is None or waiter is None:
            polled.append(fut)
        else:
            groups.setdefault(waiter, {})[handle] = None
    return {w: list(h) for w, h in groups.items()}, polled


def wait_any(futures, timeout: float | None = None) -> None:
    """Return once some future in `futures` may be done, or after `timeout` seconds."""
    if not futures:
        return
    groups, polled = _groups(futures)
    if len(groups) == 1 and not polled:
        waiter, handles = next(iter(groups.items()))
        waiter(handles, timeout)
        return
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        if any(waiter(handles, 0) for waiter, handles in groups.items()):
            return
        if any(f.done() for f in polled):
            return
        if deadline is not None and time.monotonic() >= deadline:
            return
        time.sleep(POLL_S)
