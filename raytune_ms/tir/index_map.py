"""IndexMap: a function from a buffer's indices to the indices of its new layout, e.g.
`(k, j) -> (j // 16, k, j % 16)`, as the reference's `IndexMap` is.

It is the one description of a layout change that everybody shares: the schedule primitive
`transform_layout` rewrites a buffer's accesses through it, a trace stores it as JSON and prints
it as a Python lambda, and a caller holding a weight in the original layout applies it to the
numpy array once (`apply_to_array`). Only bijections onto the new shape are accepted (no
padding): `check_bijective` proves it for the mixed-radix form layout rewriting produces, and
enumerates the index space otherwise.
"""

from __future__ import annotations

import inspect
from functools import lru_cache

import numpy as np

from . import expr as E
from .arith import bound, simplify
from .expr import Range, Var, convert
from .node import Node

#: the largest index space `check_bijective` enumerates when no closed-form proof applies
MAX_ENUMERATED = 1 << 24
#: the largest array `apply_to_array` converts (its index arrays take 8 bytes per element and dimension)
MAX_CONVERTED = 1 << 26


class IndexMapError(ValueError):
    """An index map that is not a bijection onto a dense new shape, or does not fit a buffer."""


class IndexMap(Node):
    __slots__ = ("initial_indices", "final_indices")
    _fields = ("initial_indices", "final_indices")

    def __init__(self, initial_indices, final_indices):
        self.initial_indices = tuple(initial_indices)
        self.final_indices = tuple(convert(e) for e in final_indices)
        for v in self.initial_indices:
            if not isinstance(v, Var):
                raise IndexMapError(f"an index map's inputs must be Vars, got {v!r}")

    @staticmethod
    def from_func(fn, ndim: int | None = None) -> IndexMap:
        """The map of a Python function over index expressions, e.g. `lambda k, j: (j // 16, k,
        j % 16)`; its parameter names name the indices."""
        if isinstance(fn, IndexMap):
            return fn
        names = list(inspect.signature(fn).parameters)
        if ndim is not None and len(names) != ndim:
            raise IndexMapError(f"index map {fn!r} takes {len(names)} indices; the buffer has {ndim} dimensions")
        params = [Var(n, "int32") for n in names]
        out = fn(*params)
        if not isinstance(out, (tuple, list)):
            out = (out,)
        return IndexMap(params, out)

    def __repr__(self):
        return f"IndexMap({self.as_python()})"

    @property
    def ndim(self) -> int:
        return len(self.initial_indices)

    def map_indices(self, indices, ranges: dict | None = None) -> list:
        """The new indices of the element at `indices` (expressions), simplified (knowing the
        `ranges` of the variables they use, Var -> Range)."""
        from .functor import substitute

        if len(indices) != self.ndim:
            raise IndexMapError(f"index map over {self.ndim} indices applied to {len(indices)}")
        mapping = dict(zip(self.initial_indices, (convert(i) for i in indices)))
        return [simplify(substitute(e, mapping), ranges) for e in self.final_indices]

    def map_shape(self, shape) -> tuple:
        """The new shape: one past the largest value of each new index over `shape`."""
        ranges = self._ranges(shape)
        out = []
        for d, e in enumerate(self.final_indices):
            lo, hi = bound(simplify(e, ranges), ranges)
            if lo is None or hi is None or lo < 0:
                raise IndexMapError(
                    f"index map {self.as_python()}: new index {d} ({e!r}) is not bounded within "
                    f"[0, n) over the shape {tuple(shape)} (bounds {lo}..{hi})")
            out.append(int(hi) + 1)
        return tuple(out)

    def _ranges(self, shape) -> dict:
        if len(shape) != self.ndim:
            raise IndexMapError(
                f"index map {self.as_python()} takes {self.ndim} indices; the shape {tuple(shape)} has {len(shape)}")
        return {v: Range(0, int(n)) for v, n in zip(self.initial_indices, shape)}

    def check_bijective(self, shape) -> tuple:
        """The new shape, after making sure every element of `shape` lands on its own place and
        every place of the new shape is filled (raises IndexMapError otherwise)."""
        new_shape = self.map_shape(shape)
        size = int(np.prod(shape, dtype=np.int64))
        if int(np.prod(new_shape, dtype=np.int64)) != size:
            raise IndexMapError(
                f"index map {self.as_python()} maps {tuple(shape)} ({size} elements) into {new_shape} "
                f"({int(np.prod(new_shape))} places): padding layouts are not supported")
        if _mixed_radix(self, tuple(shape)):
            return new_shape
        _enumerated_check(self.as_json(), tuple(shape))
        return new_shape

    def new_indices_of(self, shape) -> tuple:
        """For every element of an array of `shape` (row-major), its new indices: one int64 array
        per new dimension."""
        size = int(np.prod(shape, dtype=np.int64))
        if size > MAX_CONVERTED:
            raise IndexMapError(f"index map {self.as_python()}: {size} elements are too many to enumerate")
        grids = np.indices(tuple(shape), dtype=np.int64).reshape(len(shape), -1)
        env = {v: grids[d] for d, v in enumerate(self.initial_indices)}
        return tuple(np.broadcast_to(_eval(e, env), (size,)) for e in self.final_indices)

    def apply_to_array(self, array: np.ndarray) -> np.ndarray:
        """`array` (original layout) rearranged into the new layout: out[map(i)] = array[i]."""
        array = np.asarray(array)
        new_shape = self.check_bijective(array.shape)
        out = np.empty(new_shape, dtype=array.dtype)
        out[self.new_indices_of(array.shape)] = array.reshape(-1)
        return out

    # ------------------------------------------------------------------ text forms

    def as_json(self) -> str:
        from .serialize import to_json

        return to_json([self.initial_indices, self.final_indices])

    @staticmethod
    def from_json(text) -> IndexMap:
        from .serialize import from_json

        out = from_json(text)
        if not isinstance(out, tuple) or len(out) != 2:
            raise IndexMapError(f"not an index map's JSON: {text!r:.80}")
        return IndexMap(*out)

    def as_python(self) -> str:
        """`lambda k, j: (j // 16, k, j % 16)`; `from_func(eval(...))` gives an equal map."""
        from .functor import substitute
        from .printer import _e

        names, renamed = [], {}
        for d, v in enumerate(self.initial_indices):
            name = v.name if v.name.isidentifier() and v.name not in names else f"i{d}"
            names.append(name)
            renamed[v] = Var(name, v.dtype)
        outs = [_e(substitute(e, renamed)) for e in self.final_indices]
        body = "(" + ", ".join(outs) + ("," if len(outs) == 1 else "") + ")"
        return f"lambda {', '.join(names)}: {body}"


def _eval(e, env):
    """`e` evaluated with numpy over integer arrays (the index subset of the expression language)."""
    if isinstance(e, Var):
        if e not in env:
            raise IndexMapError(f"index map uses the free variable {e.name!r}")
        return env[e]
    if isinstance(e, E.IntImm):
        return np.int64(e.value)
    binary = {E.Add: np.add, E.Sub: np.subtract, E.Mul: np.multiply, E.FloorDiv: np.floor_divide,
              E.FloorMod: np.mod, E.Min: np.minimum, E.Max: np.maximum}
    fn = binary.get(type(e))
    if fn is None:
        raise IndexMapError(f"index maps support + - * // % min max over indices, got {e!r}")
    return fn(_eval(e.a, env), _eval(e.b, env))


def _mixed_radix(imap: IndexMap, shape: tuple) -> bool:
    """Whether each new index is `(flat // c) % e` (or `flat // c`, `flat % e`, `flat`) of the
    row-major flat index, with the (c, e) digits tiling [0, size) exactly: then the map is a
    bijection (a permutation of the digits of a mixed-radix number)."""
    from .affine import affine_form

    flat, size = {}, 1
    for v, n in reversed(list(zip(imap.initial_indices, shape))):
        if n > 1:
            flat[v] = size
        size *= n
    digits = []
    for e in imap.final_indices:
        div, mod, inner = 1, None, e
        if isinstance(inner, E.FloorMod) and isinstance(inner.b, E.IntImm):
            mod, inner = inner.b.value, inner.a
        if isinstance(inner, E.FloorDiv) and isinstance(inner.b, E.IntImm):
            div, inner = inner.b.value, inner.a
        form = affine_form(inner)
        if form is None or form[1] != 0 or div <= 0:
            return False
        unit = {v for v, n in zip(imap.initial_indices, shape) if n == 1}
        coeffs = {v: c for v, c in form[0].items() if v not in unit}
        if coeffs == flat:
            digits.append((div, mod if mod is not None else -(-size // div)))
            continue
        if len(coeffs) != 1 or next(iter(coeffs.values())) != 1:
            return False
        (v,) = coeffs
        n = dict(zip(imap.initial_indices, shape))[v]
        ext = n // div if mod is None else mod
        if n % (div * ext):
            return False
        digits.append((flat[v] * div, ext))
    return mixed_radix_digits(digits, size)


def mixed_radix_digits(digits, size: int) -> bool:
    """Whether the (stride, extent) digits number [0, size) exactly, each place once: sorted by
    stride, each stride is the product of the extents below it, and all of them make `size`."""
    pos = 1
    for c, ext in sorted(digits):
        if c != pos:
            return False
        pos *= ext
    return pos == size


@lru_cache(maxsize=64)
def _enumerated_check(imap_json: str, shape: tuple) -> None:
    imap = IndexMap.from_json(imap_json)
    size = int(np.prod(shape, dtype=np.int64))
    if size > MAX_ENUMERATED:
        raise IndexMapError(
            f"index map {imap.as_python()}: cannot prove it a bijection over {shape} "
            f"(not a mixed-radix digit map, and {size} elements are more than {MAX_ENUMERATED} to enumerate)")
    new_shape = imap.map_shape(shape)
    idx = imap.new_indices_of(shape)
    flat = np.ravel_multi_index(idx, new_shape)
    if np.unique(flat).size != size:
        raise IndexMapError(f"index map {imap.as_python()} sends two elements of {shape} to the same place")
