"""Pause Python's cyclic garbage collector while a search strategy draws a batch.

Choosing a batch allocates millions of short-lived IR nodes (freed by reference counting: the
IR has no cycles) while the replay cache and the database keep hundreds of thousands alive.
Every allocation burst triggers collections, and each full one walks all the live objects:
about a quarter of a GMM-1024 batch's time went there. Collection resumes when the batch is
chosen, so the few cycles made meanwhile are freed then.
"""

from __future__ import annotations

import contextlib
import gc


@contextlib.contextmanager
def gc_paused():
    """Disable automatic collection for the block (nested uses keep the outer state)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
