"""The structural hash of workloads: equal for equal programs, different for different ones,
and the same in another process (it keys the tuning databases)."""

import json
import os
import subprocess
import sys

import pytest

from raytune_ms import te, tir, workloads


@pytest.mark.parametrize("name", workloads.names())
def test_equal_programs_built_twice_hash_equal(name):
    a, b = workloads.get(name, "small").func, workloads.get(name, "small").func
    assert a is not b
    assert tir.structural_hash(a) == tir.structural_hash(b)
    assert tir.structural_equal(a, b)
    assert len(tir.structural_hash(a)) == 16


def test_every_workload_and_size_hashes_differently():
    hashes = [tir.structural_hash(workloads.get(n, s).func) for n in workloads.names() for s in ("small", "standard")]
    assert len(set(hashes)) == len(hashes)


def elementwise(shape=(4, 8), dtype="float32", scale=2.0):
    A = te.placeholder(shape, dtype=dtype, name="A")
    B = te.compute(shape, lambda i, j: A[i, j] * tir.const(scale, dtype), name="B")
    return te.create_prim_func([A, B])


def test_hash_depends_on_shape_dtype_and_constants():
    base = tir.structural_hash(elementwise())
    assert tir.structural_hash(elementwise(shape=(4, 9))) != base
    assert tir.structural_hash(elementwise(shape=(8, 4))) != base
    assert tir.structural_hash(elementwise(dtype="float16")) != base
    assert tir.structural_hash(elementwise(scale=3.0)) != base
    assert tir.structural_hash(elementwise()) == base


def test_hash_ignores_variable_and_buffer_names_but_not_block_names():
    def mm(a="A", b="B", c="C", k="k"):
        A = te.placeholder((4, 4), name=a)
        B = te.placeholder((4, 4), name=b)
        r = te.reduce_axis(4, k)
        C = te.compute((4, 4), lambda i, j: te.sum(A[i, r] * B[r, j], axis=r), name=c)
        return te.create_prim_func([A, B, C])

    assert tir.structural_hash(mm()) == tir.structural_hash(mm(a="X", b="Y", k="kk"))
    assert tir.structural_hash(mm()) != tir.structural_hash(mm(c="D"))  # the block is named C


_CHILD = """
import json
import os
from raytune_ms import tir, workloads
print(json.dumps({f"{n}/{s}": tir.structural_hash(workloads.get(n, s).func)
                  for n in workloads.names() for s in ("small", "standard")}))
"""


def test_hash_same_in_a_fresh_process():
    here = {f"{n}/{s}": tir.structural_hash(workloads.get(n, s).func)
            for n in workloads.names() for s in ("small", "standard")}
    out = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONHASHSEED": "12345"})
    assert json.loads(out.stdout) == here
