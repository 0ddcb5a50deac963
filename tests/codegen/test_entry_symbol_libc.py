"""A function named like a libc function (graph nodes are named "select", "abs", "div", ...)
builds and runs: its exported symbol is prefixed."""

import numpy as np
import pytest

from raytune_ms import build, te
from raytune_ms.codegen.c import entry_symbol


@pytest.mark.parametrize("name", ["select", "abs", "div", "time"])
def test_libc_named_function(name):
    A = te.placeholder((4,), name="A")
    B = te.compute((4,), lambda i: A[i] * 2.0, name="B")
    out = np.zeros(4, "float32")
    build(te.create_prim_func([A, B], name=name))(np.arange(4, dtype="float32"), out)
    np.testing.assert_array_equal(out, [0, 2, 4, 6])
    assert entry_symbol(name) == f"fn_{name}"
    assert entry_symbol("relu") == "relu"
