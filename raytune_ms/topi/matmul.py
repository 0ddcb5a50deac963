"""Matrix products: matmul (torch.matmul: 1-D promotion, broadcast batch dimensions), mm, bmm,
linear and addmm, each operand optionally transposed in its last two dimensions.

The product is one reduction block; a bias or scaling is a separate element-wise block after
it, the anchor-plus-epilogue shape a fusion pass and the tuner expect.
"""

from __future__ import annotations

from .. import te
from .broadcast import add
from .shapes import broadcast_index, broadcast_shapes, check_dtypes, check_ndim


def matmul(a, b, transpose_a: bool = False, transpose_b: bool = False, name: str = "T_matmul"):
    """a @ b as torch.matmul, with a (resp. b) read transposed in its last two dimensions."""
    op = f"matmul of {a.name!r} {a.shape} and {b.name!r} {b.shape}"
    check_dtypes("matmul", a, b)
    if (a.ndim == 1 and transpose_a) or (b.ndim == 1 and transpose_b):
        raise ValueError(f"{op}: a 1-d operand cannot be transposed")
    a_rows = () if a.ndim == 1 else ((a.shape[-1],) if transpose_a else (a.shape[-2],))
    a_k = a.shape[-2] if transpose_a else a.shape[-1]
    b_k = b.shape[-1] if transpose_b else b.shape[0 if b.ndim == 1 else -2]
    b_cols = () if b.ndim == 1 else ((b.shape[-2],) if transpose_b else (b.shape[-1],))
    if a_k != b_k:
        raise ValueError(f"{op}: reduction dimensions differ ({a_k} vs {b_k})")
    a_batch, b_batch = a.shape[:-2], b.shape[:-2]
    batch = broadcast_shapes([a_batch, b_batch], op) if a_batch or b_batch else ()
    nb = len(batch)
    k = te.reduce_axis(a_k, "k")

    def element(*idx):
        bidx, rest = idx[:nb], idx[nb:]
        i = rest[0] if a_rows else None
        j = rest[-1] if b_cols else None
        if a.ndim == 1:
            a_idx = (k,)
        else:
            a_idx = broadcast_index(a_batch, bidx) + ((k, i) if transpose_a else (i, k))
        if b.ndim == 1:
            b_idx = (k,)
        else:
            b_idx = broadcast_index(b_batch, bidx) + ((j, k) if transpose_b else (k, j))
        return te.sum(a[a_idx] * b[b_idx], axis=k)

    return te.compute(batch + a_rows + b_cols, element, name=name)


def mm(a, b, name: str = "T_matmul"):
    """The product of two matrices."""
    check_ndim(a, 2, "mm", "first operand")
    check_ndim(b, 2, "mm", "second operand")
    return matmul(a, b, name=name)


def bmm(a, b, transpose_a: bool = False, transpose_b: bool = False, name: str = "T_batch_matmul"):
    """Batched product of 3-d tensors with equal batch sizes (no broadcasting, as torch.bmm)."""
    check_ndim(a, 3, "bmm", "first operand")
    check_ndim(b, 3, "bmm", "second operand")
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"bmm: batch sizes differ: {a.name!r} {a.shape} and {b.name!r} {b.shape}")
    return matmul(a, b, transpose_a, transpose_b, name=name)


def linear(data, weight, bias=None, name: str = "T_linear"):
    """data @ weight.T + bias, weight (out_features, in_features) as torch.nn.Linear keeps it."""
    check_ndim(weight, 2, "linear", "weight")
    if data.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"linear: input {data.name!r} {data.shape} has {data.shape[-1]} features, "
            f"weight {weight.name!r} {weight.shape} expects {weight.shape[1]}"
        )
    out = matmul(data, weight, transpose_b=True, name=f"{name}_matmul" if bias is not None else name)
    if bias is None:
        return out
    check_ndim(bias, 1, "linear", "bias")
    if bias.shape[0] != weight.shape[0]:
        raise ValueError(f"linear: bias {bias.name!r} {bias.shape} for {weight.shape[0]} output features")
    return add(out, bias, name=f"{name}_bias")


def addmm(bias, a, b, beta=1, alpha=1, transpose_a: bool = False, transpose_b: bool = False,
          name: str = "T_addmm"):
    """beta * bias + alpha * (a @ b) for matrices a, b and a bias broadcast to the product."""
    check_ndim(a, 2, "addmm", "first matrix")
    check_ndim(b, 2, "addmm", "second matrix")
    prod = matmul(a, b, transpose_a, transpose_b, name=f"{name}_matmul")
    shape = broadcast_shapes([bias.shape, prod.shape], f"addmm: bias {bias.name!r} and product")
    if shape != prod.shape:
        raise ValueError(f"addmm: bias {bias.name!r} {bias.shape} does not broadcast to the product {prod.shape}")

    def element(i, j):
        p = prod[i, j] if alpha == 1 else prod[i, j] * alpha
        c = bias[broadcast_index(bias.shape, (i, j))]
        return p + (c if beta == 1 else c * beta)

    return te.compute(prod.shape, element, name=name)
