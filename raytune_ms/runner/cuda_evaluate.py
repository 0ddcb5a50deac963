"""Running a CudaArtifact on an NVIDIA GPU through the CUDA driver API (ctypes on libcuda.so, no
other dependency): load the PTX/cubin, allocate device buffers (parameters and workspaces), launch
the kernels in order, time them with CUDA events (number, repeat, min_repeat_ms; an L2 flush
before each timed call when asked) and check outputs against a baseline like the CPU path.
Not wired into the runner yet: `evaluate` is what a CUDA measurement child would call."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

import numpy as np

_L2_CACHE_SIZE = 38  # CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE
_MAX_DYN_SHARED = 8  # CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES


class CudaError(RuntimeError):
    """A driver call failed (the message names the call and the driver's error)."""


@functools.lru_cache(maxsize=1)
def _driver():
    path = ctypes.util.find_library("cuda") or "libcuda.so.1"
    try:
        lib = ctypes.CDLL(path)
    except OSError:
        return None, "no NVIDIA GPU (libcuda, the driver library, is not installed)"
    rc = lib.cuInit(0)
    if rc != 0:
        return None, f"no NVIDIA GPU (cuInit failed with error {rc})"
    n = ctypes.c_int()
    if lib.cuDeviceGetCount(ctypes.byref(n)) != 0 or n.value == 0:
        return None, "no NVIDIA GPU (the driver sees no device)"
    return lib, None


def gpu_unavailable_reason() -> str | None:
    """None when a GPU can be used here, else why not (starts with "no NVIDIA GPU")."""
    return _driver()[1]


def _call(lib, name, *args):
    rc = getattr(lib, name)(*args)
    if rc != 0:
        msg = ctypes.c_char_p()
        lib.cuGetErrorString(rc, ctypes.byref(msg))
        raise CudaError(f"{name} failed: {(msg.value or b'?').decode()} ({rc})")


class CudaModule:
    """The artifact loaded on device `device`; `run(*arrays)` and `time(...)`."""

    def __init__(self, artifact, device: int = 0):
        lib, reason = _driver()
        if lib is None:
            raise CudaError(reason)
        self.lib, self.art = lib, artifact
        dev = ctypes.c_int()
        _call(lib, "cuDeviceGet", ctypes.byref(dev), device)
        self.ctx = ctypes.c_void_p()
        _call(lib, "cuDevicePrimaryCtxRetain", ctypes.byref(self.ctx), dev)
        _call(lib, "cuCtxSetCurrent", self.ctx)
        self.module = ctypes.c_void_p()
        image = artifact.image + (b"\0" if artifact.image_kind == "ptx" else b"")
        _call(lib, "cuModuleLoadData", ctypes.byref(self.module), image)
        self.funcs = []
        for k in artifact.kernels:
            f = ctypes.c_void_p()
            _call(lib, "cuModuleGetFunction", ctypes.byref(f), self.module, k.name.encode())
            if k.dyn_shared_bytes > 48 << 10:
                _call(lib, "cuFuncSetAttribute", f, _MAX_DYN_SHARED, k.dyn_shared_bytes)
            self.funcs.append(f)
        l2 = ctypes.c_int()
        _call(lib, "cuDeviceGetAttribute", ctypes.byref(l2), _L2_CACHE_SIZE, dev)
        self.flush_bytes = max(2 * l2.value, 1 << 20)
        sizes = [int(np.prod(s)) * np.dtype(d).itemsize for _, s, d in artifact.params]
        self.params = [self._alloc(n) for n in sizes]
        self.spaces = [self._alloc(n) for _, n in artifact.workspaces]
        self.flush_buf = None

    def _alloc(self, nbytes):
        p = ctypes.c_uint64()
        _call(self.lib, "cuMemAlloc_v2", ctypes.byref(p), max(1, nbytes))
        return p

    def _launch_all(self):
        for f, k in zip(self.funcs, self.art.kernels):
            ptrs = [self.params[j] if kind == "param" else self.spaces[j] for kind, j in k.args]
            refs = [ctypes.cast(ctypes.byref(p), ctypes.c_void_p) for p in ptrs]
            argv = (ctypes.c_void_p * max(1, len(ptrs)))(*refs)
            _call(self.lib, "cuLaunchKernel", f, *[ctypes.c_uint(x) for x in k.grid],
                  *[ctypes.c_uint(x) for x in k.block], ctypes.c_uint(k.dyn_shared_bytes), None, argv, None)

    def run(self, *arrays) -> None:
        """Copy `arrays` (one per parameter) in, launch every kernel, copy them back."""
        lib = self.lib
        _call(lib, "cuCtxSetCurrent", self.ctx)
        arrays = [np.ascontiguousarray(a) for a in arrays]
        for dev, a in zip(self.params, arrays):
            _call(lib, "cuMemcpyHtoD_v2", dev, a.ctypes.data_as(ctypes.c_void_p), ctypes.c_size_t(a.nbytes))
        self._launch_all()
        _call(lib, "cuCtxSynchronize")
        return arrays

    def fetch(self, arrays) -> None:
        for dev, a in zip(self.params, arrays):
            _call(self.lib, "cuMemcpyDtoH_v2", a.ctypes.data_as(ctypes.c_void_p), dev, ctypes.c_size_t(a.nbytes))

    def time(self, number=3, repeat=1, min_repeat_ms=40, flush=False) -> list:
        """Seconds per call of the whole kernel sequence, one value per repeat (CUDA events;
        number grows until a repeat lasts min_repeat_ms)."""
        lib = self.lib
        start, stop = ctypes.c_void_p(), ctypes.c_void_p()
        _call(lib, "cuEventCreate", ctypes.byref(start), 0)
        _call(lib, "cuEventCreate", ctypes.byref(stop), 0)
        if flush and self.flush_buf is None:
            self.flush_buf = self._alloc(self.flush_bytes)
        out, n = [], max(1, number)
        for _ in range(repeat):
            while True:
                total = 0.0
                ms = ctypes.c_float()
                for i in range(n if flush else 1):
                    if flush:
                        _call(lib, "cuMemsetD8_v2", self.flush_buf, ctypes.c_ubyte(i & 255),
                              ctypes.c_size_t(self.flush_bytes))
                    _call(lib, "cuEventRecord", start, None)
                    for _ in range(1 if flush else n):
                        self._launch_all()
                    _call(lib, "cuEventRecord", stop, None)
                    _call(lib, "cuEventSynchronize", stop)
                    _call(lib, "cuEventElapsedTime", ctypes.byref(ms), start, stop)
                    total += ms.value
                if total >= min_repeat_ms or n >= 1 << 20:
                    out.append(total / n / 1e3)
                    break
                n = max(int(n * 1.618) + 1, int(n * min_repeat_ms / max(total, 1e-3)) + 1)
        lib.cuEventDestroy_v2(start)
        lib.cuEventDestroy_v2(stop)
        return out

    def close(self) -> None:
        for p in self.params + self.spaces + ([self.flush_buf] if self.flush_buf is not None else []):
            self.lib.cuMemFree_v2(p)
        self.lib.cuModuleUnload(self.module)
        self.params, self.spaces, self.flush_buf = [], [], None


def evaluate(artifact_bytes: bytes, arrays, expected=None, rtol=1e-4, atol=1e-4, number=3, repeat=1,
             min_repeat_ms=40, flush=False) -> list:
    """Run once (every argument checked against `expected`, the baseline's arrays after its run,
    when given),
    then time; returns the seconds per repeat. WrongResult when an output differs."""
    from ..codegen.cuda_artifact import CudaArtifact
    from .evaluate import compare

    mod = CudaModule(CudaArtifact.from_bytes(artifact_bytes))
    try:
        got = mod.run(*arrays)
        mod.fetch(got)
        if expected is not None:
            compare(got, list(expected), rtol, atol)
        return mod.time(number, repeat, min_repeat_ms, flush)
    finally:
        mod.close()
