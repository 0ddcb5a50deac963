"""Scaled dot-product attention decomposed into the library's operators, as
torch.nn.functional.scaled_dot_product_attention computes it without dropout:
softmax(q @ k^T * scale + mask) @ v, the causal mask keeping key j <= query i."""

from __future__ import annotations

import math

from .. import te, tir
from .broadcast import add, mul
from .matmul import matmul
from .shapes import broadcast_index, broadcast_shapes
from .softmax import softmax


def causal_mask(scores, name: str = "T_causal_mask"):
    """scores[..., i, j] where j <= i (the lower triangle, top-left aligned), else -infinity."""
    ninf = tir.min_value(scores.dtype)
    return te.compute(
        scores.shape, lambda *idx: te.if_then_else(idx[-1] <= idx[-2], scores[idx], ninf), name=name
    )


def masked_fill(scores, keep, name: str = "T_masked"):
    """scores where the boolean `keep` (broadcast) is true, else -infinity (torch's boolean attn_mask)."""
    shape = broadcast_shapes([scores.shape, keep.shape], f"attention mask {keep.name!r} and scores")
    if shape != scores.shape:
        raise ValueError(f"attention: mask {keep.name!r} {keep.shape} does not broadcast to the scores {scores.shape}")
    ninf = tir.min_value(scores.dtype)
    return te.compute(
        scores.shape,
        lambda *idx: te.if_then_else(keep[broadcast_index(keep.shape, idx)], scores[idx], ninf),
        name=name,
    )


def scaled_dot_product_attention(query, key, value, attn_mask=None, is_causal: bool = False, scale=None,
                                 name: str = "T_attention"):
    """query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev); `attn_mask` is
    added (float) or keeps positions (bool); scale defaults to 1 / sqrt(E)."""
    if min(query.ndim, key.ndim, value.ndim) < 2:
        raise ValueError("scaled_dot_product_attention: query, key and value need at least 2 dimensions")
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(
            f"scaled_dot_product_attention: key {key.name!r} {key.shape} and value {value.name!r} "
            f"{value.shape} have different sequence lengths ({key.shape[-2]} vs {value.shape[-2]})"
        )
    if is_causal and attn_mask is not None:
        raise ValueError("scaled_dot_product_attention: give attn_mask or is_causal, not both (as torch)")
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    scores = matmul(query, key, transpose_b=True, name=f"{name}_scores")
    scores = mul(scores, scale, name=f"{name}_scale")
    if attn_mask is not None:
        if attn_mask.dtype == "bool":
            scores = masked_fill(scores, attn_mask, name=f"{name}_mask")
        else:
            shape = broadcast_shapes(
                [scores.shape, attn_mask.shape], f"scaled_dot_product_attention: mask {attn_mask.name!r} and scores"
            )
            if shape != scores.shape:
                raise ValueError(
                    f"scaled_dot_product_attention: mask {attn_mask.name!r} {attn_mask.shape} does not "
                    f"broadcast to the scores {scores.shape}"
                )
            scores = add(scores, attn_mask, name=f"{name}_mask")
    if is_causal:
        scores = causal_mask(scores, name=f"{name}_causal")
    probs = softmax(scores, axis=-1, name=f"{name}_softmax")
    return matmul(probs, value, name=name)
