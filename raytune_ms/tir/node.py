"""The base of every IR node: immutable by convention, fields listed once in `_fields`.

A node's `_fields` are its whole meaning: the JSON form, the structural hash, the printer and
generic rewriters all walk them, so a new node needs no code anywhere else but its class.
Nodes compare by identity (`==` is not overloaded into an IR expression); use
`structural_equal` for value comparison.
"""

from __future__ import annotations


class Node:
    __slots__ = ()
    _fields: tuple = ()

    def replace(self, **changes):
        """A copy of this node with some fields changed (the rest shared)."""
        values = [changes.pop(f) if f in changes else getattr(self, f) for f in self._fields]
        if changes:
            raise TypeError(f"{type(self).__name__} has no field(s) {sorted(changes)}")
        return type(self)(*values)

    def with_field(self, name, value):
        """A copy with field `name` set to `value`, which must already be what the constructor
        would store (no checks, no conversion): the cheap rebuild of a statement on a path whose
        child changed."""
        copy = _COPIERS.get(type(self))
        if copy is None:
            copy = _COPIERS[type(self)] = _copier(type(self))
        out = copy(self)
        setattr(out, name, value)
        return out

    #: the text form of nodes, set by `printer` (which imports every node class, so node.py
    #: cannot import it)
    _script = None

    def __repr__(self):
        script = Node._script
        return script(self) if script is not None else f"<{type(self).__name__}>"


_SLOTS: dict = {}


def _slots(cls) -> tuple:
    """Every slot of `cls` and its bases (what a copy must carry over)."""
    slots = _SLOTS.get(cls)
    if slots is None:
        names = []
        for c in reversed(cls.__mro__):
            for name in c.__dict__.get("__slots__", ()):
                if name not in names:
                    names.append(name)
        slots = _SLOTS[cls] = tuple(names)
    return slots


_COPIERS: dict = {}


def _copier(cls):
    """A function copying every slot of a `cls` node into a new, uninitialised one. It is
    generated once per class so that each slot is a plain attribute store (with_field runs on
    every statement of every rebuilt path; a getattr/setattr call per slot was most of it)."""
    lines = ["def copy(node):", "    out = new(cls)"]
    lines += [f"    out.{slot} = node.{slot}" for slot in _slots(cls)]
    lines.append("    return out")
    namespace = {"new": object.__new__, "cls": cls}
    exec("\n".join(lines), namespace)  # noqa: S102 (slot names of IR node classes only)
    return namespace["copy"]
