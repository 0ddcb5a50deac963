"""Scaled dot-product attention, decomposed into matmul / mul / add / mask / softmax blocks,
against numpy and torch (plain, causal, float and boolean masks, explicit scale, broadcast batch)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from raytune_ms import te, topi
from raytune_ms.testing.operators import check, placeholders, rand
from raytune_ms.topi import testing as ref
from raytune_ms.topi.testing import run_te


@pytest.mark.parametrize("causal, scale", [(False, None), (True, None), (False, 0.3), (True, 2.0)])
def test_sdpa(causal, scale):
    q, k, v = rand(2, 3, 5, 4, seed=1), rand(2, 3, 6, 4, seed=2), rand(2, 3, 6, 7, seed=3)
    if causal:
        q = rand(2, 3, 6, 4, seed=1)
    check(topi.scaled_dot_product_attention, ref.scaled_dot_product_attention,
          lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=causal, scale=scale),
          q, k, v, rtol=1e-4, atol=1e-5, is_causal=causal, scale=scale)


def test_sdpa_float_mask_broadcast():
    q, k, v, m = rand(2, 4, 3, seed=1), rand(2, 5, 3, seed=2), rand(2, 5, 2, seed=3), rand(4, 5, seed=4)
    check(topi.scaled_dot_product_attention, ref.scaled_dot_product_attention,
          lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m), q, k, v, m, rtol=1e-4, atol=1e-5)


def test_sdpa_bool_mask():
    q, k, v = rand(1, 4, 3, seed=1), rand(1, 5, 3, seed=2), rand(1, 5, 2, seed=3)
    keep = np.random.default_rng(0).random((4, 5)) < 0.6
    keep[:, 0] = True  # every query keeps one key (an all-masked row is NaN in torch)
    inputs = placeholders(q, k, v, keep)
    (got,) = run_te(inputs, [topi.scaled_dot_product_attention(*inputs[:3], attn_mask=inputs[3])], [q, k, v, keep])
    np.testing.assert_allclose(got, ref.scaled_dot_product_attention(q, k, v, attn_mask=keep), rtol=1e-4, atol=1e-5)
    want = F.scaled_dot_product_attention(*map(torch.from_numpy, (q, k, v, keep)))
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-4, atol=1e-5)


def test_errors():
    q, k = te.placeholder((2, 4, 3), name="q"), te.placeholder((2, 5, 3), name="k")
    with pytest.raises(ValueError, match="key 'k' .* and value 'v' .* have different sequence lengths"):
        topi.scaled_dot_product_attention(q, k, te.placeholder((2, 6, 3), name="v"))
    with pytest.raises(ValueError, match="not both"):
        topi.scaled_dot_product_attention(q, k, k, attn_mask=te.placeholder((4, 5), name="m"), is_causal=True)
    with pytest.raises(ValueError, match="mask .m. (and scores: shapes|.* does not broadcast)"):
        topi.scaled_dot_product_attention(q, k, k, attn_mask=te.placeholder((3, 5), name="m"))
