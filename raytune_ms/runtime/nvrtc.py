"""NVRTC (CUDA's runtime compiler, from the pip package nvidia-cuda-nvrtc-cu12, through ctypes):
CUDA C to PTX, or to a cubin for a named arch. No GPU or driver is needed to compile.
cuda_fp16.h comes from nvidia-cuda-runtime-cu12's include directory when installed."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import glob
import os
import re
import threading

PTX_ARCH = "compute_70"  # virtual arch of PTX built for a target that names no arch
_LOCK = threading.Lock()  # one compile at a time per process: NVRTC handles are cheap, logs are not


class NVRTCError(RuntimeError):
    """NVRTC is missing, or rejected the source (the message names the function and the lines)."""


def _package_dir(module: str):
    try:
        mod = __import__(module, fromlist=["_"])
    except ImportError:
        return None
    paths = list(getattr(mod, "__path__", []))
    return paths[0] if paths else None


@functools.lru_cache(maxsize=1)
def nvrtc_library():
    """The loaded libnvrtc (the pip package's, else the system's); NVRTCError when absent."""
    candidates = []
    pkg = _package_dir("nvidia.cuda_nvrtc")
    if pkg:
        candidates += sorted(glob.glob(os.path.join(pkg, "lib", "libnvrtc.so*")))
    found = ctypes.util.find_library("nvrtc")
    if found:
        candidates.append(found)
    for path in candidates:
        if "builtins" in path or ".alt." in path:
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        lib.nvrtcGetErrorString.restype = ctypes.c_char_p
        return lib
    raise NVRTCError("NVRTC not found: pip install nvidia-cuda-nvrtc-cu12 (or the 'cuda' extra of raytune_ms)")


def nvrtc_available() -> bool:
    try:
        nvrtc_library()
    except NVRTCError:
        return False
    return True


@functools.lru_cache(maxsize=1)
def include_dirs() -> tuple:
    """Directories holding cuda_fp16.h (pip's nvidia-cuda-runtime-cu12, else a CUDA toolkit)."""
    out = []
    pkg = _package_dir("nvidia.cuda_runtime")
    if pkg and os.path.exists(os.path.join(pkg, "include", "cuda_fp16.h")):
        out.append(os.path.join(pkg, "include"))
    for d in (os.environ.get("CUDA_HOME", ""), "/usr/local/cuda"):
        if d and os.path.exists(os.path.join(d, "include", "cuda_fp16.h")):
            out.append(os.path.join(d, "include"))
    return tuple(out)


def _check(lib, rc, what):
    if rc != 0:
        raise NVRTCError(f"{what}: {lib.nvrtcGetErrorString(rc).decode()}")


def _excerpt(source: str, log: str) -> str:
    """The source lines the log's diagnostics point at."""
    lines = source.splitlines()
    out = []
    for m in sorted({int(n) for n in re.findall(r"\((\d+)\): (?:error|catastrophic error)", log)}):
        if 1 <= m <= len(lines):
            out.append(f"  line {m}: {lines[m - 1].strip()}")
    return "\n".join(out)


def compile_cuda(source: str, arch: str | None = None, name: str = "kernel") -> tuple:
    """(image bytes, "ptx" | "cubin"): PTX for compute_XX of `arch` (PTX_ARCH when None), or
    a cubin when `cubin` arch sm_XX is given. NVRTCError names `name` and the failing lines."""
    lib = nvrtc_library()
    prog = ctypes.c_void_p()
    src = source.encode()
    _check(lib, lib.nvrtcCreateProgram(ctypes.byref(prog), src, f"{name}.cu".encode(), 0, None, None),
           f"NVRTC could not create a program for {name!r}")
    try:
        # "sm_XX": a cubin; "compute_XX": PTX for that virtual arch; None: PTX for PTX_ARCH
        virtual = PTX_ARCH if arch is None else arch if arch.startswith("compute_") else "compute_" + arch[3:]
        cubin = arch is not None and not arch.startswith("compute_")
        opts = [f"-arch={arch if cubin else virtual}", "-default-device", "--std=c++17",
                "-fmad=true", "-lineinfo"]
        opts += [f"-I{d}" for d in include_dirs()]
        raw = [o.encode() for o in opts]
        with _LOCK:
            rc = lib.nvrtcCompileProgram(prog, len(raw), (ctypes.c_char_p * len(raw))(*raw))
        size = ctypes.c_size_t()
        lib.nvrtcGetProgramLogSize(prog, ctypes.byref(size))
        buf = ctypes.create_string_buffer(size.value)
        lib.nvrtcGetProgramLog(prog, buf)
        log = buf.value.decode(errors="replace")
        if rc != 0:
            raise NVRTCError(
                f"NVRTC failed to compile function {name!r} ({lib.nvrtcGetErrorString(rc).decode()}):\n"
                f"{log.strip()}\n{_excerpt(source, log)}")
        get_size, get = (lib.nvrtcGetCUBINSize, lib.nvrtcGetCUBIN) if cubin else (lib.nvrtcGetPTXSize, lib.nvrtcGetPTX)
        get_size(prog, ctypes.byref(size))
        out = ctypes.create_string_buffer(size.value)
        _check(lib, get(prog, out), f"NVRTC could not return the image of {name!r}")
        data = out.raw[:size.value]
        return (data, "cubin") if cubin else (data.rstrip(b"\0"), "ptx")
    finally:
        lib.nvrtcDestroyProgram(ctypes.byref(prog))
