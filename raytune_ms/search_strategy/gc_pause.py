"""Pause Python's cyclic garbage collector while a search strategy draws a batch.

Choosing a batch allocates millions of short-lived IR nodes (freed by reference counting: the
IR has no cycles) while the replay cache and the database keep hundreds of thousands alive.
Every allocation burst triggers collections, and each full one walks all the live objects:
about a quarter of a GMM-1024 batch's time went there. When the batch is chosen, what it left
alive (mostly the replay cache, the search's member caches) is frozen (`gc.freeze`) rather
than handed back to the collector: its first collection would walk all of it again (0.6 s a
GMM-1024 batch, and each full collection a growing multiple of that). The search makes no
reference cycles of its own (tests/search_strategy/test_gc_pause.py), so freezing keeps
alive only the few cycles other libraries made during the batch (XGBoost: some hundred
objects); frozen objects that lose their last reference are still freed at once, and
`gc_thaw` (a strategy's post_tuning) hands everything back to the collector when the run ends.
"""

from __future__ import annotations

import contextlib
import gc


@contextlib.contextmanager
def gc_paused():
    """Disable automatic collection for the block (nested uses keep the outer state); on the
    way out of the outermost use, freeze what survived it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()


def gc_thaw() -> None:
    """Hand what the batches froze back to the collector (the run is over)."""
    gc.unfreeze()
