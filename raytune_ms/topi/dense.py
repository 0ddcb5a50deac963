"""Matrix-multiplication operators as te programs: batch matmul, GEMV, transpose + batch matmul.

Each function returns the PrimFunc's tensors: inputs first, the output last.
"""

from __future__ import annotations

from .. import te


def batch_matmul_nkkm(B, N, M, K, dtype="float32", out_dtype=None):
    """C[b, i, j] = sum_k A[b, i, k] * B[b, k, j] (GMM, GMM-1024, BMM); inputs of `dtype`
    accumulated in `out_dtype` (default the same; float16 inputs with float32 accumulation
    match the tensor-core intrinsics)."""
    out_dtype = out_dtype or dtype
    a = te.placeholder((B, N, K), name="A", dtype=dtype)
    b = te.placeholder((B, K, M), name="B", dtype=dtype)
    k = te.reduce_axis(K, "k")

    def term(bb, i, j):
        x, y = a[bb, i, k], b[bb, k, j]
        return x * y if out_dtype == dtype else te.cast(out_dtype, x) * te.cast(out_dtype, y)

    c = te.compute((B, N, M), lambda bb, i, j: te.sum(term(bb, i, j), axis=k), name="C")
    return [a, b, c]


def gemv(K, N):
    """y[0, j] = sum_k x[0, k] * W[k, j]: a (1, K) row vector times a (K, N) matrix."""
    x = te.placeholder((1, K), name="x")
    w = te.placeholder((K, N), name="W")
    k = te.reduce_axis(K, "k")
    y = te.compute((1, N), lambda i, j: te.sum(x[i, k] * w[k, j], axis=k), name="y")
    return [x, w, y]


def transpose_batch_matmul(batch, seq, heads, dim):
    """Attention scores: query and key (batch, seq, heads, dim) transposed to per-head layouts,
    then out[b, h, i, j] = sum_d query[b, i, h, d] * key[b, j, h, d]."""
    query = te.placeholder((batch, seq, heads, dim), name="query")
    key = te.placeholder((batch, seq, heads, dim), name="key")
    query_t = te.compute((batch, heads, seq, dim), lambda b, h, l, d: query[b, l, h, d], name="query_T")
    key_t = te.compute((batch, heads, dim, seq), lambda b, h, d, l: key[b, l, h, d], name="key_T")
    k = te.reduce_axis(dim, "k")
    out = te.compute(
        (batch, heads, seq, seq),
        lambda b, h, i, j: te.sum(query_t[b, h, i, k] * key_t[b, h, k, j], axis=k),
        name="T_batch_matmul",
    )
    return [query, key, out]
