"""`check_op(tensors, ref_fn)`: build the te op, run it on random inputs, compare its output
with the numpy reference."""

import numpy as np
import pytest

from raytune_ms import build, te


def _check_op(tensors, ref_fn, seed=0):
    func = te.create_prim_func(tensors)
    rng = np.random.default_rng(seed)
    inputs = [rng.uniform(-1, 1, p.shape).astype("float32") for p in func.params[:-1]]
    out = np.zeros(func.params[-1].shape, "float32")
    build(func, target="llvm")(*inputs, out)
    want = ref_fn(*inputs)[0]
    assert out.shape == want.shape
    np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-4)


@pytest.fixture
def check_op():
    return _check_op
