"""Normalisation operators as te programs: norm, softmax, layer norm (several blocks each).

Each function returns the PrimFunc's tensors: inputs first, the output last.
"""

from __future__ import annotations

from .. import te


def norm_bmn(B, M, N):
    """out[b] = sqrt(sum_ij a[b, i, j]^2): a reduction block, then a sqrt block."""
    a = te.placeholder((B, M, N), name="A")
    i = te.reduce_axis(M, "i")
    j = te.reduce_axis(N, "j")
    sq_sum = te.compute((B,), lambda b: te.sum(a[b, i, j] * a[b, i, j], axis=[i, j]), name="sq_sum")
    out = te.compute((B,), lambda b: te.sqrt(sq_sum[b]), name="norm")
    return [a, out]


def softmax_mn(M, N):
    """Row softmax: row max, exp(x - max), row sum, divide (four blocks)."""
    a = te.placeholder((M, N), name="A")
    k = te.reduce_axis(N, "k")
    maxelem = te.compute((M,), lambda i: te.max(a[i, k], axis=k), name="T_softmax_maxelem")
    exp = te.compute((M, N), lambda i, j: te.exp(a[i, j] - maxelem[i]), name="T_softmax_exp")
    k2 = te.reduce_axis(N, "k")
    expsum = te.compute((M,), lambda i: te.sum(exp[i, k2], axis=k2), name="T_softmax_expsum")
    out = te.compute((M, N), lambda i, j: exp[i, j] / expsum[i], name="T_softmax_norm")
    return [a, out]


def layer_norm(M, N, eps=1e-5):
    """Normalise each row over its N features, then scale by gamma and shift by beta:
    mean, variance (a reduction reading the mean) and the element-wise output."""
    a = te.placeholder((M, N), name="A")
    gamma = te.placeholder((N,), name="gamma")
    beta = te.placeholder((N,), name="beta")
    k = te.reduce_axis(N, "k")
    mean = te.compute((M,), lambda i: te.sum(a[i, k] * (1.0 / N), axis=k), name="mean")
    k2 = te.reduce_axis(N, "k")
    var = te.compute(
        (M,),
        lambda i: te.sum((a[i, k2] - mean[i]) * (a[i, k2] - mean[i]) * (1.0 / N), axis=k2),
        name="var",
    )
    out = te.compute(
        (M, N),
        lambda i, j: (a[i, j] - mean[i]) * te.rsqrt(var[i] + eps) * gamma[j] + beta[j],
        name="T_layer_norm",
    )
    return [a, gamma, beta, out]
