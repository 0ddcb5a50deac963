"""The target's per-block limits checked on a CUDA artifact's launch configuration (what
VerifyGPUCode rejects, and what a build refuses before compiling)."""

from __future__ import annotations

MAX_VTHREADS = 8  # virtual threads per thread (the reference's VerifyGPUCode limit)


class GPULimitError(ValueError):
    """A kernel exceeds a limit of its target (the message names the limit)."""


def limit_violations(artifact, target) -> list:
    """One message per kernel and exceeded limit (empty when every kernel fits)."""
    out = []
    for k in artifact.kernels:
        where = f"function {artifact.func_name!r} kernel {k.name!r}"
        if k.threads > target.max_threads_per_block:
            out.append(f"{where}: {k.threads} threads per block {tuple(k.block)} exceed "
                       f"max_threads_per_block={target.max_threads_per_block}")
        if k.shared_bytes > target.max_shared_memory_per_block:
            out.append(f"{where}: {k.shared_bytes} bytes of shared memory exceed "
                       f"max_shared_memory_per_block={target.max_shared_memory_per_block}")
        if k.vthreads > MAX_VTHREADS:
            out.append(f"{where}: {k.vthreads} virtual threads exceed max_vthread={MAX_VTHREADS}")
        for axis, (n, cap) in enumerate(zip(k.grid, (2 ** 31 - 1, 65535, 65535))):
            if n > cap:
                out.append(f"{where}: grid dimension {'xyz'[axis]}={n} exceeds the hardware's {cap}")
        if k.block[2] > 64:
            out.append(f"{where}: threadIdx.z extent {k.block[2]} exceeds the hardware's 64")
    return out


def check_limits(artifact, target) -> None:
    """GPULimitError listing every exceeded limit."""
    errors = limit_violations(artifact, target)
    if errors:
        raise GPULimitError("; ".join(errors))
