"""Write buffered records when the process ends: at interpreter exit, and on SIGTERM.

SIGTERM's default action kills the process without running atexit handlers, so a store with a
buffer (`flush_every > 1`) would lose the records it acknowledged. The first store opened in the
main thread installs a SIGTERM handler that flushes every open store, then hands the signal on:
to the handler installed before it (Ray's, a framework's), or, for the default action, by
re-raising it with the default disposition (the process still dies of SIGTERM). A handler that
someone installs later replaces ours; call `flush_open_stores()` from it. Forked children get
their stores' `_after_fork()` (fresh writer state: the parent writes its own buffer).
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import threading
import weakref

logger = logging.getLogger(__name__)

_OPEN: weakref.WeakSet = weakref.WeakSet()
_previous = None
_installed = False


def register(store) -> None:
    """Close `store` at exit and flush it on SIGTERM (an object with `flush()`, `close()` and
    `_after_fork()`)."""
    _OPEN.add(store)
    _install_sigterm()


def flush_open_stores(method: str = "flush") -> None:
    for store in list(_OPEN):
        try:
            getattr(store, method)()
        except Exception as e:  # noqa: BLE001 - the process is ending; say what was lost
            logger.error("%r: buffered records not written at exit: %s", store, e)


def _on_sigterm(signum, frame):
    flush_open_stores()
    prev = _previous
    if callable(prev):
        prev(signum, frame)
    elif prev != signal.SIG_IGN:
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)


def _install_sigterm() -> None:
    global _previous, _installed
    if _installed or threading.current_thread() is not threading.main_thread():
        return
    try:
        _previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except (ValueError, OSError):  # not the main interpreter, or signals unavailable
        return
    _installed = True


def _after_fork_in_child():
    for store in list(_OPEN):
        store._after_fork()


atexit.register(flush_open_stores, "close")
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
