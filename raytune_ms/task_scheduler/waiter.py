"""Waiting for the first of many in-flight builds and runs, whatever they wait on: Ray
ObjectRefs (one ray.wait), concurrent.futures (one futures.wait), or futures that can only be
polled."""

from __future__ import annotations

import concurrent.futures as cf
import time

POLL_S = 0.005


def _handles(futures):
    refs, cfs, polled = {}, {}, []
    for fut in futures:
        handle = fut.wait_handle() if hasattr(fut, "wait_handle") else None
        if handle is None:
            polled.append(fut)
        elif isinstance(handle, cf.Future):
            cfs[handle] = None
        else:
            refs[handle] = None
    return list(refs), list(cfs), polled


def wait_any(futures, timeout: float | None = None) -> None:
    """Return once some future in `futures` may be done, or after `timeout` seconds."""
    if not futures:
        return
    refs, cfs, polled = _handles(futures)
    if refs and not cfs and not polled:
        import ray

        ray.wait(refs, num_returns=1, timeout=timeout, fetch_local=False)
        return
    if cfs and not refs and not polled:
        cf.wait(cfs, timeout=timeout, return_when=cf.FIRST_COMPLETED)
        return
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        if refs:
            import ray

            ready, _ = ray.wait(refs, num_returns=1, timeout=0, fetch_local=False)
            if ready:
                return
        if cfs and any(f.done() for f in cfs):
            return
        if any(f.done() for f in polled):
            return
        if deadline is not None and time.monotonic() >= deadline:
            return
        time.sleep(POLL_S)
