"""TensorIntrin: a named pair (description, implementation), registered once per process.

The description is a PrimFunc holding one perfect loop nest over one block: the computation
the intrinsic performs on its operands (buffers with shapes, dtypes and memory scopes). The
implementation is what a back end emits instead of the matched loops; here it is a plain
value the back end interprets (codegen/cuda_wmma.py for the wmma set), since the program
keeps the description's loops as the region's body (tensorize.py says why)."""

from __future__ import annotations

#: loop annotation: the nest below is the named intrinsic (set by Schedule.tensorize)
TENSORIZED_KEY = "raytune_ms.tensorized"


class TensorIntrinError(KeyError):
    """An unknown or doubly registered intrinsic name."""

    def __str__(self):
        return str(self.args[0])


class TensorIntrin:
    _REGISTRY: dict = {}

    def __init__(self, desc, impl):
        self.desc = desc
        self.impl = impl

    @staticmethod
    def register(name: str, desc, impl, override: bool = False) -> None:
        if name in TensorIntrin._REGISTRY and not override:
            raise TensorIntrinError(f"tensor intrinsic {name!r} is already registered")
        TensorIntrin._REGISTRY[name] = TensorIntrin(desc, impl)

    @staticmethod
    def get(name: str, allow_missing: bool = False):
        intrin = TensorIntrin._REGISTRY.get(name)
        if intrin is None and not allow_missing:
            known = ", ".join(sorted(TensorIntrin._REGISTRY))
            raise TensorIntrinError(f"unknown tensor intrinsic {name!r}; registered: {known}")
        return intrin
