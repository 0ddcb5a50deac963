"""The one `create(kind)` mechanism of every extension point (builder, runner, database, cost
model, search strategy, space generator, task scheduler, measure callback, ...).

A base class derives from `Registry` and keeps `KINDS`: kind name -> "package.module:attr" (or
the class itself). Modules are imported on first use, so a kind that lives in a heavy package
(Ray, xgboost, torch) costs nothing until it is asked for, and `actors` is never imported by
`raytune_ms` at import time. Users add kinds with `Base.register(name, cls_or_path)`.
"""

from __future__ import annotations

import importlib


def load(entry):
    """The object a registry entry names: "package.module:attr", or the object itself."""
    if not isinstance(entry, str):
        return entry
    module, _, attr = entry.partition(":")
    return getattr(importlib.import_module(module), attr)


def create(kinds: dict, kind, what: str, *args, **kwargs):
    """An instance of the class registered under `kind` in `kinds`, with errors that name the
    known kinds (an unknown kind) or the missing module (an unavailable one)."""
    if not isinstance(kind, str) or kind not in kinds:
        raise ValueError(f"unknown {what} kind {kind!r}; known kinds: {', '.join(sorted(kinds))}")
    try:
        factory = load(kinds[kind])
    except ImportError as err:
        raise ImportError(f"{what} kind {kind!r} is not available: {err}") from err
    return factory(*args, **kwargs)


class Registry:
    """Mixin of the extension points' base classes: `KINDS`, `register`, `kinds` and the
    lookup behind their `create`."""

    KINDS: dict = {}
    #: what the kinds are of, for error messages ("runner", "cost model", ...)
    KIND_NOUN = "kind"

    @classmethod
    def _owner(cls) -> type:
        for klass in cls.__mro__:
            if "KINDS" in klass.__dict__ and klass is not Registry:
                return klass
        raise TypeError(f"{cls.__name__} has no KINDS registry")

    @classmethod
    def register(cls, kind: str, entry, *, override: bool = False) -> None:
        """Make `create(kind, ...)` build `entry(...)`: a class or factory, or "module:attr"."""
        owner = cls._owner()
        if not isinstance(kind, str) or not kind:
            raise ValueError(f"a {owner.KIND_NOUN} kind needs a non-empty name, got {kind!r}")
        if kind in owner.KINDS and not override:
            raise ValueError(f"{owner.KIND_NOUN} kind {kind!r} is already registered "
                             f"(pass override=True to replace it)")
        owner.KINDS[kind] = entry

    @classmethod
    def kinds(cls) -> list[str]:
        """The registered kind names."""
        return sorted(cls._owner().KINDS)

    @classmethod
    def _create_kind(cls, kind, *args, **kwargs):
        """An instance of the class registered under `kind`; an instance of the base itself
        is returned as it is."""
        owner = cls._owner()
        if isinstance(kind, owner):
            if args or kwargs:
                raise TypeError(f"{owner.__name__}.create got an instance and arguments for it")
            return kind
        return create(owner.KINDS, kind, owner.KIND_NOUN, *args, **kwargs)
