"""Running a CudaArtifact on an NVIDIA GPU through the CUDA driver API (ctypes on libcuda.so, no
other dependency): load the PTX/cubin, allocate device buffers (parameters and workspaces), launch
the kernels in order, time them with CUDA events (number, repeat, min_repeat_ms; an L2 flush
before each timed call when asked) and check outputs against a baseline like the CPU path.
The runners measure "cuda" artifacts through the hooks at the end of this file (runner.hooks:
the defaults for device type "cuda"); `evaluate` does the same in one call."""

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


def _context(device: int):
    """(driver, CUdevice, the device's primary context, made current)."""
    lib, reason = _driver()
    if lib is None:
        raise CudaError(reason)
    dev = ctypes.c_int()
    _call(lib, "cuDeviceGet", ctypes.byref(dev), device)
    ctx = ctypes.c_void_p()
    _call(lib, "cuDevicePrimaryCtxRetain", ctypes.byref(ctx), dev)
    _call(lib, "cuCtxSetCurrent", ctx)
    return lib, dev, ctx


class CudaModule:
    """The artifact loaded on device `device`; `run(*arrays)` and `time(...)`; calling it runs
    the kernels on numpy arrays in place (copies in, launches, copies back)."""

    def __init__(self, artifact, device: int = 0):
        lib, dev, self.ctx = _context(device)
        self.lib, self.art = lib, artifact
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

    def _launch_all(self, params=None):
        params = self.params if params is None else params
        for f, k in zip(self.funcs, self.art.kernels):
            ptrs = [params[j] if kind == "param" else self.spaces[j] for kind, j in k.args]
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

    def __call__(self, *arrays) -> None:
        self.fetch(self.run(*arrays))

    def fetch(self, arrays) -> None:
        for dev, a in zip(self.params, arrays):
            _call(self.lib, "cuMemcpyDtoH_v2", a.ctypes.data_as(ctypes.c_void_p), dev, ctypes.c_size_t(a.nbytes))

    def time(self, number=3, repeat=1, min_repeat_ms=40, flush=False, params=None) -> list:
        """Seconds per call of the whole kernel sequence, one value per repeat (CUDA events;
        number grows until a repeat lasts min_repeat_ms), on the module's own device buffers or
        on `params` (device pointers, one per parameter: alloc_argument's)."""
        lib = self.lib
        _call(lib, "cuCtxSetCurrent", self.ctx)
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
                        self._launch_all(params)
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


def load(artifact_bytes: bytes, specs=None) -> CudaModule:
    """A serialized CudaArtifact loaded on GPU 0 (the runner's loader for "cuda")."""
    from ..codegen.cuda_artifact import CudaArtifact

    return CudaModule(CudaArtifact.from_bytes(artifact_bytes))


def evaluate(artifact_bytes: bytes, arrays, expected=None, rtol=1e-4, atol=1e-4, number=3, repeat=1,
             min_repeat_ms=40, flush=False) -> list:
    """Run once (every argument checked against `expected`, the baseline's arrays after its run,
    when given),
    then time; returns the seconds per repeat. WrongResult when an output differs."""
    from .evaluate import compare

    mod = load(artifact_bytes)
    try:
        got = mod.run(*arrays)
        mod.fetch(got)
        if expected is not None:
            compare(got, list(expected), rtol, atol)
        return mod.time(number, repeat, min_repeat_ms, flush)
    finally:
        mod.close()


# The runner hooks for device type "cuda" (runner.hooks has their signatures).
_ALLOCATED: list = []  # device pointers alloc_argument made, freed by cleanup


def alloc_argument(device, args_info, alloc_repeat: int) -> list[list]:
    """alloc_repeat sets of device buffers, each holding the seeded arguments the candidate was
    checked on."""
    from .evaluate import checked_arguments

    lib, _, _ = _context(device.device_id)
    inputs = checked_arguments()
    repeated = []
    for _ in range(alloc_repeat):
        ptrs = []
        for a in inputs:
            a = np.ascontiguousarray(a)
            p = ctypes.c_uint64()
            _call(lib, "cuMemAlloc_v2", ctypes.byref(p), max(1, a.nbytes))
            _ALLOCATED.append(p)
            _call(lib, "cuMemcpyHtoD_v2", p, a.ctypes.data_as(ctypes.c_void_p), ctypes.c_size_t(a.nbytes))
            ptrs.append(p)
        repeated.append(ptrs)
    return repeated


def run_evaluator(rt_mod, device, evaluator_config, repeated_args) -> list[float]:
    """CUDA-event timing on each set of device buffers; enable_cpu_cache_flush flushes the L2
    cache before each timed call (the GPU's counterpart of the CPU cache flush)."""
    costs = []
    for params in repeated_args:
        costs.extend(rt_mod.time(evaluator_config.number, evaluator_config.repeat,
                                 evaluator_config.min_repeat_ms, evaluator_config.enable_cpu_cache_flush,
                                 params=params))
    return costs


def cleanup() -> None:
    """Free the buffers alloc_argument made."""
    lib, _ = _driver()
    while _ALLOCATED:
        lib.cuMemFree_v2(_ALLOCATED.pop())
