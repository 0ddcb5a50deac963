"""A loaded kernel: call it on numpy arrays, time it with the C harness inside the artifact.

The artifact is the shared object's bytes, so a Module travels between processes and nodes
(pickling sends the bytes and reloads them on the other side).
"""

from __future__ import annotations

import _ctypes
import ctypes
import os
import tempfile

import numpy as np

_NUMPY = {"bool": np.bool_, "int8": np.int8, "uint8": np.uint8, "int16": np.int16,
          "int32": np.int32, "int64": np.int64, "float16": np.float16, "float32": np.float32,
          "float64": np.float64}


class Module:
    """A compiled kernel with parameters `params` = [(name, shape, dtype), ...]."""

    def __init__(self, so_bytes: bytes, params, symbol: str | None = None, source: str | None = None):
        self.so_bytes = bytes(so_bytes)
        self.params = [(str(n), tuple(int(s) for s in shape), str(dt)) for n, shape, dt in params]
        for name, _, dt in self.params:
            if dt not in _NUMPY:
                raise ValueError(f"parameter {name!r}: unsupported dtype {dt!r}")
        self.source = source
        self._lib = _load(self.so_bytes)
        if symbol is None:
            try:
                entry = ctypes.c_char.in_dll(self._lib, "rtms_entry")  # const char rtms_entry[]
            except ValueError:
                raise ValueError("the shared object names no entry function; pass symbol=") from None
            symbol = ctypes.cast(ctypes.addressof(entry), ctypes.c_char_p).value.decode()
        self.symbol = symbol
        try:
            self._fn = getattr(self._lib, symbol)
            self._time = getattr(self._lib, symbol + "_time")
        except AttributeError:
            raise ValueError(f"the shared object has no function {symbol!r} (and {symbol}_time)") from None
        self._fn.restype = ctypes.c_int32
        self._fn.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
        self._time.restype = ctypes.c_int32
        self._time.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int32, ctypes.c_int32,
                               ctypes.c_int32, ctypes.c_int32, ctypes.POINTER(ctypes.c_double)]

    def __del__(self):
        # a tuning worker loads thousands of artifacts: unmap each when its Module goes
        lib = getattr(self, "_lib", None)
        if lib is not None and _PINNED:
            self._lib = self._fn = self._time = None
            _ctypes.dlclose(lib._handle)

    @staticmethod
    def from_bytes(so_bytes: bytes, params, symbol: str | None = None, source: str | None = None) -> Module:
        return Module(so_bytes, params, symbol, source)

    def __reduce__(self):
        return (Module, (self.so_bytes, self.params, self.symbol, self.source))

    def __repr__(self):
        sig = ", ".join(f"{n}: {dt}{list(s)}" for n, s, dt in self.params)
        return f"Module({self.symbol}({sig}))"

    # ------------------------------------------------------------------ calling

    def _args(self, arrays):
        if len(arrays) != len(self.params):
            raise TypeError(
                f"{self.symbol} takes {len(self.params)} arrays "
                f"({', '.join(n for n, _, _ in self.params)}), got {len(arrays)}")
        ptrs = (ctypes.c_void_p * len(arrays))()
        for i, (a, (name, shape, dt)) in enumerate(zip(arrays, self.params)):
            if not isinstance(a, np.ndarray):
                a = _from_tensor(a, name)
            if a.dtype != np.dtype(_NUMPY[dt]):
                raise TypeError(f"{self.symbol}: parameter {name!r} needs dtype {dt}, got {a.dtype}")
            if tuple(a.shape) != shape:
                raise ValueError(
                    f"{self.symbol}: parameter {name!r} needs shape {shape}, got {tuple(a.shape)}")
            if not a.flags.c_contiguous:
                raise ValueError(
                    f"{self.symbol}: parameter {name!r} must be C-contiguous "
                    "(use np.ascontiguousarray)")
            if not a.flags.writeable:
                raise ValueError(f"{self.symbol}: parameter {name!r} must be writeable")
            ptrs[i] = a.ctypes.data
        return ptrs

    def __call__(self, *arrays) -> None:
        """Run the kernel once on `arrays` (every parameter, outputs included, written in place)."""
        ptrs = self._args(arrays)
        rc = self._fn(ptrs)
        if rc != 0:
            raise RuntimeError(f"{self.symbol} failed with code {rc} (out of memory?)")

    def time(self, *arrays, number: int = 3, repeat: int = 1, min_repeat_ms: int = 40,
             enable_cpu_cache_flush: bool = False) -> list:
        """Seconds per call, one mean per repeat, measured by the harness in the artifact."""
        for key, value, low in (("number", number, 1), ("repeat", repeat, 1),
                                ("min_repeat_ms", min_repeat_ms, 0)):
            if int(value) != value or value < low:
                raise ValueError(f"{key} must be an integer >= {low}, got {value!r}")
        ptrs = self._args(arrays)
        out = (ctypes.c_double * repeat)()
        rc = self._time(ptrs, int(number), int(repeat), int(min_repeat_ms),
                        int(bool(enable_cpu_cache_flush)), out)
        if rc != 0:
            raise RuntimeError(f"{self.symbol} failed with code {rc} while being timed")
        return list(out)


def _from_tensor(a, name):
    """Accept torch CPU tensors (shared memory, no copy) and other array-likes by reference."""
    if hasattr(a, "numpy") and hasattr(a, "is_contiguous"):
        return a.detach().numpy()
    raise TypeError(f"parameter {name!r}: expected a numpy array, got {type(a).__name__}")


_PINNED: list = []


def _pin_openmp() -> None:
    """Keep the OpenMP runtime loaded for the life of the process: unloading the last kernel
    must not unload it while its worker threads still exist. If it cannot be pinned, kernels
    are never unloaded."""
    if not _PINNED:
        try:
            _PINNED.append(ctypes.CDLL("libgomp.so.1", mode=os.RTLD_GLOBAL | os.RTLD_NOW))
        except OSError:
            pass


def _load(so_bytes: bytes):
    """dlopen a private copy of the bytes (a fresh file each time: no stale dlopen cache)."""
    _pin_openmp()
    fd, path = tempfile.mkstemp(prefix="rtms_", suffix=".so")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(so_bytes)
        return ctypes.CDLL(path, mode=os.RTLD_LOCAL | os.RTLD_NOW)
    finally:
        os.unlink(path)
