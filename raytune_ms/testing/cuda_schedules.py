"""Hand-bound CUDA schedules for tests: a matmul staging both operands in shared memory
(cooperative fetches bound to threadIdx.x), and a vectorized copy."""

from __future__ import annotations

from .. import te
from ..schedule import Schedule


def matmul(n=64, dtype="float32"):
    A = te.placeholder((n, n), name="A", dtype=dtype)
    B = te.placeholder((n, n), name="B", dtype=dtype)
    k = te.reduce_axis(n, "k")
    C = te.compute((n, n), lambda i, j: te.sum(A[i, k] * B[k, j], axis=k), name="C")
    return te.create_prim_func([A, B, C])


def shared_matmul(tile=16, kt=16, fetch_threads=None):
    sch = Schedule(matmul())
    c = sch.get_block("C")
    i, j, k = sch.get_loops(c)
    i0, i1 = sch.split(i, [None, tile])
    j0, j1 = sch.split(j, [None, tile])
    k0, k1 = sch.split(k, [None, kt])
    # k0 outside the thread loops: compute_at here does not relax thread-bound loops for shared
    # buffers, so the fetch is placed where the tile is the whole block's
    sch.reorder(i0, j0, k0, i1, j1, k1)
    bx = sch.fuse(i0, j0)
    tx = sch.fuse(i1, j1)
    sch.bind(bx, "blockIdx.x")
    sch.bind(tx, "threadIdx.x")
    for idx in (0, 1):
        cache = sch.cache_read(c, idx, "shared")
        sch.compute_at(cache, k0)
        loops = sch.get_loops(cache)[-2:]
        fused = sch.fuse(*loops)
        _, t = sch.split(fused, [None, fetch_threads or tile * tile])
        sch.bind(t, "threadIdx.x")
    return sch


def vector_copy(dtype="float32", lanes=4, threads=64):
    A = te.placeholder((1024,), name="A", dtype=dtype)
    B = te.compute((1024,), lambda i: A[i], name="B")
    sch = Schedule(te.create_prim_func([A, B]))
    (i,) = sch.get_loops(sch.get_block("B"))
    b, t, v = sch.split(i, [None, threads, lanes])
    sch.bind(b, "blockIdx.x")
    sch.bind(t, "threadIdx.x")
    sch.vectorize(v)
    return sch


def compile_to_ptx(sch, name: str):
    """The scheduled program's CUDA C compiled by NVRTC, checked to hold one PTX entry per
    generated kernel: (the CudaArtifact, the NVRTC seconds)."""
    import time

    from ..codegen.cuda import codegen_cuda
    from ..runtime.nvrtc import compile_cuda

    art = codegen_cuda(sch.mod.entry_func(), "cuda")
    start = time.perf_counter()
    ptx, kind = compile_cuda(art.source, None, name)
    secs = time.perf_counter() - start
    assert kind == "ptx" and ptx.count(b".entry") == len(art.kernels), name
    return art, secs
