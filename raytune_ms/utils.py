"""Small helpers shared by the tuner's extension points."""

from __future__ import annotations


def derived_object(cls: type) -> type:
    """Mark `cls` as a user-derived implementation of an extension base (PyDatabase,
    PyRunner, ...).

    Python subclasses need no registration with a foreign runtime here; the decorator exists so
    code written for the reference API runs unchanged, and it records the mark so tools can tell
    built-in classes from user ones. Returns the class itself.
    """
    if not isinstance(cls, type):
        raise TypeError(f"derived_object decorates a class, got {type(cls).__name__}")
    cls._derived_object = True
    return cls
