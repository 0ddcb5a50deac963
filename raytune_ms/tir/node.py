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

    #: the text form of nodes, set by `printer` (which imports every node class, so node.py
    #: cannot import it)
    _script = None

    def __repr__(self):
        script = Node._script
        return script(self) if script is not None else f"<{type(self).__name__}>"
