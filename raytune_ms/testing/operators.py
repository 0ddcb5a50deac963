"""Shared by the operator tests (torch must be installed): random inputs, placeholders for
them, and a check that runs an operator through the C code generator and compares it with its
numpy reference and with torch."""

import numpy as np
import torch

from .. import te
from ..topi.testing import run_te


def rand(*shape, seed=0, lo=-1.0, hi=1.0):
    return np.random.default_rng(seed).uniform(lo, hi, shape).astype("float32")


def placeholders(*arrays):
    """A te placeholder per array (same shape and dtype), named a0, a1, ..."""
    return [te.placeholder(a.shape, str(a.dtype), name=f"a{i}") for i, a in enumerate(arrays)]


def check(op, np_ref, torch_fn, *arrays, rtol=1e-5, atol=1e-5, **kwargs):
    """op(*placeholders, **kwargs) compiled and run on `arrays` equals np_ref(*arrays, **kwargs)
    and torch_fn(*tensors) (torch_fn None: numpy only)."""
    inputs = placeholders(*arrays)
    (got,) = run_te(inputs, [op(*inputs, **kwargs)], arrays)
    want = np.asarray(np_ref(*arrays, **kwargs))
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)
    if torch_fn is not None:
        expected = torch_fn(*[torch.from_numpy(np.ascontiguousarray(a)) for a in arrays]).detach().numpy()
        assert got.shape == expected.shape, (got.shape, expected.shape)
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)
    return got
