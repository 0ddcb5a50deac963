"""numpy reference (float64) for scaled dot-product attention."""

from __future__ import annotations

import math

import numpy as np

from .normalization import softmax


def scaled_dot_product_attention(q, k, v, attn_mask=None, is_causal=False, scale=None):
    q, k, v = (np.asarray(t, np.float64) for t in (q, k, v))
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ np.swapaxes(k, -1, -2) * scale
    if is_causal:
        L, S = scores.shape[-2:]
        scores = np.where(np.tril(np.ones((L, S), bool)), scores, -np.inf)
    if attn_mask is not None:
        mask = np.asarray(attn_mask)
        scores = np.where(mask, scores, -np.inf) if mask.dtype == bool else scores + mask
    return softmax(scores, axis=-1) @ v
