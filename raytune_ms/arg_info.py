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
        """The argument information of a module's entry function (IRModule.entry_func). A
        weight RewriteLayout re-laid out keeps its original shape and carries the IndexMap: the
        builder builds the program without its copy stage (see tir.layout_rewrite), so the
        runner converts the weight once and times the compute alone, as the reference does."""
        from .tir.layout_rewrite import split_layout_rewrite

        func = tir.IRModule.from_any(mod).entry_func()
        out = ArgInfo.from_prim_func(func)
        for i, imap in split_layout_rewrite(func)[1].items():
            out[i] = TensorInfo(out[i].dtype, out[i].shape, imap.as_json())
        return out


@dataclass(frozen=True)
class TensorInfo(ArgInfo):
    """A dense tensor argument; `layout` (an IndexMap's JSON) when the kernel takes it re-laid
    out by that map (the caller converts the array, see IndexMap.apply_to_array)."""

    dtype: str
    shape: tuple
    layout: str | None = None

    def __init__(self, dtype: str, shape, layout: str | None = None):
        object.__setattr__(self, "dtype", tir.check_dtype(str(dtype)))
        object.__setattr__(self, "shape", tuple(int(s) for s in shape))
        object.__setattr__(self, "layout", layout)

    def as_json(self):
        out = ["TENSOR", self.dtype, list(self.shape)]
        return out if self.layout is None else out + [self.layout]

    @staticmethod
    def from_json(json_obj) -> TensorInfo:
        if len(json_obj) not in (3, 4) or json_obj[0] != "TENSOR":
            raise ValueError(f"tensor info must be ['TENSOR', dtype, shape(, layout)], got {json_obj!r}")
        return TensorInfo(*json_obj[1:])

    def __repr__(self):
        extra = "" if self.layout is None else ", re-laid out"
        return f"TensorInfo({self.dtype!r}, {list(self.shape)}{extra})"
