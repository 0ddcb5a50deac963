"""fp16 GEMMs in the layouts the tensor-core rule has to reshape (a transposed B, an output in
another order, shapes that need padding, a bias + relu epilogue) and their numpy results,
shared by the tensor-core tests and bench/tensorcore_fusion.py."""

from __future__ import annotations

import numpy as np

from .. import te


def fp16_gemm(m, n, k, b_transposed=False, out_transposed=False, epilogue=False):
    """C = A @ B of fp16 A [m, k] and B [k, n] (B stored [n, k] when b_transposed), accumulated
    in fp32; the output stored [n, m] when out_transposed; + bias[n] and relu when epilogue.
    Parameters: A, B, (bias,) output."""
    a = te.placeholder((m, k), "float16", name="A")
    b = te.placeholder((n, k) if b_transposed else (k, n), "float16", name="B")
    r = te.reduce_axis(k, "k")

    def term(i, j):
        bv = b[j, r] if b_transposed else b[r, j]
        return te.sum(te.cast("float32", a[i, r]) * te.cast("float32", bv), axis=r)

    if out_transposed:
        return te.create_prim_func([a, b, te.compute((n, m), lambda j, i: term(i, j), name="C")])
    c = te.compute((m, n), term, name="C")
    if not epilogue:
        return te.create_prim_func([a, b, c])
    bias = te.placeholder((n,), "float32", name="bias")
    d = te.compute((m, n), lambda i, j: c[i, j] + bias[j], name="D")
    e = te.compute((m, n), lambda i, j: te.max(d[i, j], 0.0), name="E")
    return te.create_prim_func([a, b, bias, e])


def fp16_gemm_inputs(func, seed=0) -> list:
    """Random inputs (scaled by 0.5) and a zero output for `func`'s parameters."""
    rng = np.random.default_rng(seed)
    arrays = [(rng.standard_normal(p.shape) * 0.5).astype(p.dtype) for p in func.params[:-1]]
    return arrays + [np.zeros(func.params[-1].shape, func.params[-1].dtype)]


def fp16_gemm_reference(arrays, b_transposed=False, out_transposed=False, epilogue=False) -> np.ndarray:
    """fp16_gemm's output in float64, from its input arrays."""
    a, b = (x.astype(np.float64) for x in arrays[:2])
    c = a @ (b.T if b_transposed else b)
    if epilogue:
        c = np.maximum(c + arrays[2].astype(np.float64), 0)
    return c.T if out_transposed else c
