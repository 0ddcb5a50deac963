"""Random variables: handles a schedule hands out for blocks, loops and sampled integers.

An RV is only a name-less identity; the Schedule's symbol table maps it to what it stands for
(a block name, a loop variable, an int). Because block names are unique and loop variables
survive rewrites, an RV stays valid across later primitives. Two special LoopRVs stand for the
compute locations "root" and "inline" (what sample_compute_location may return).
"""

from __future__ import annotations


class RV:
    __slots__ = ("__weakref__",)
    prefix = "?"

    def __repr__(self):
        return f"{type(self).__name__}@{id(self):x}"


class BlockRV(RV):
    __slots__ = ()
    prefix = "b"


class LoopRV(RV):
    __slots__ = ()
    prefix = "l"

    @staticmethod
    def root() -> LoopRV:
        return COMPUTE_ROOT

    @staticmethod
    def inline() -> LoopRV:
        return COMPUTE_INLINE


class ExprRV(RV):
    __slots__ = ()
    prefix = "v"


class _Special(LoopRV):
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"LoopRV.{self.name}()"


COMPUTE_ROOT = _Special("root")
COMPUTE_INLINE = _Special("inline")
SPECIAL_LOOPS = {"root": COMPUTE_ROOT, "inline": COMPUTE_INLINE}

RV_TYPES = {"b": BlockRV, "l": LoopRV, "v": ExprRV}
