"""Argument information: what a kernel expects for each parameter (dtype and shape), so a
runner can allocate inputs for a built candidate without seeing its IR, and a tuning record can
say what it was measured on."""

from __future__ import annotations

from dataclasses import dataclass

from . import tir


class ArgInfo:
    """The information about one kernel argument. Subclasses say how it serialises."""

    def as_json(self):
        raise NotImplementedError

    @staticmethod
    def from_json(json_obj) -> ArgInfo:
        """Parse what `as_json` produced (a list whose first item names the kind)."""
        if not isinstance(json_obj, (list, tuple)) or not json_obj:
            raise ValueError(f"argument info must be a non-empty list, got {json_obj!r}")
        kind = json_obj[0]
        if kind == "TENSOR":
            return TensorInfo.from_json(json_obj)
        raise ValueError(f"unknown argument info kind {kind!r} in {json_obj!r}")

    @staticmethod
    def from_prim_func(func: tir.PrimFunc) -> list[ArgInfo]:
        """One ArgInfo per parameter of `func`, in parameter order."""
        out = []
        for i, param in enumerate(func.params):
            if not isinstance(param, tir.Buffer):
                raise TypeError(
                    f"parameter {i} of {func.name!r} is a {type(param).__name__}; "
                    "only buffer parameters have argument information"
                )
            out.append(TensorInfo(param.dtype, param.shape))
        return out

    @staticmethod
    def from_entry_func(mod) -> list[ArgInfo]:
        """The argument information of a module's entry function (IRModule.entry_func)."""
        return ArgInfo.from_prim_func(tir.IRModule.from_any(mod).entry_func())


@dataclass(frozen=True)
class TensorInfo(ArgInfo):
    """A dense tensor argument."""

    dtype: str
    shape: tuple

    def __init__(self, dtype: str, shape):
        object.__setattr__(self, "dtype", tir.check_dtype(str(dtype)))
        object.__setattr__(self, "shape", tuple(int(s) for s in shape))

    def as_json(self):
        return ["TENSOR", self.dtype, list(self.shape)]

    @staticmethod
    def from_json(json_obj) -> TensorInfo:
        if len(json_obj) != 3 or json_obj[0] != "TENSOR":
            raise ValueError(f"tensor info must be ['TENSOR', dtype, shape], got {json_obj!r}")
        return TensorInfo(json_obj[1], json_obj[2])

    def __repr__(self):
        return f"TensorInfo({self.dtype!r}, {list(self.shape)})"
