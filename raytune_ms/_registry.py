"""The `create(kind)` registries of the tuner's extension points.

Each base class keeps a dict from kind name to "module:attr" (or the class itself); the module
is imported on first use, so a kind that lives in a heavy package (Ray, xgboost, torch) costs
nothing until it is asked for, and `actors` is never imported by `raytune_ms` at import time.
"""

from __future__ import annotations

import importlib


def load(path_or_obj):
    """The object a registry entry names: "package.module:attr", or the object itself."""
    if not isinstance(path_or_obj, str):
        return path_or_obj
    module, _, attr = path_or_obj.partition(":")
    return getattr(importlib.import_module(module), attr)


def create(kinds: dict, kind: str, what: str, *args, **kwargs):
    """Instantiate the class registered under `kind` in `kinds`, with a clear error naming the
    known kinds when it is unknown."""
    if kind not in kinds:
        raise ValueError(f"unknown {what} kind {kind!r}; known kinds: {', '.join(sorted(kinds))}")
    try:
        cls = load(kinds[kind])
    except ImportError as err:
        raise ImportError(f"{what} kind {kind!r} is not available: {err}") from err
    return cls(*args, **kwargs)
