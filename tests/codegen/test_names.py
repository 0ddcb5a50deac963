"""Hostile user names never reach the C source unsanitised, and still compile and run."""

import re

import numpy as np
import pytest

from raytune_ms import tir
from raytune_ms.codegen import codegen_c
from raytune_ms.codegen.names import NameTable, is_reserved, sanitize
from raytune_ms.testing import func, nest, rand, run

HOSTILE = ["a-b", 'x; system("rm")', "int", "名前", "", "1abc", "名前", "main", "free", "args",
           "rtms_floordiv", "_x", "INT32_MAX", "*/ evil /*", "restrict", "a b", "i"]


def test_sanitize_gives_identifiers():
    table = NameTable()
    seen = set()
    for name in HOSTILE:
        ident = table.fresh(name)
        assert ident.isidentifier() and ident.isascii() and not is_reserved(ident)
        assert ident not in seen
        seen.add(ident)
    assert sanitize("a-b") == "a_b"


@pytest.mark.parametrize("fname", ['x; system("rm")', "int", "", "名前"])
def test_hostile_names_compile_and_run(fname):
    n = len(HOSTILE)
    bufs = [tir.Buffer(name, (4,)) for name in HOSTILE]
    out = tir.Buffer("*/ out", (4,))
    tmp = tir.Buffer("int", (4,))

    def body(*loop_vars):
        (i,) = loop_vars
        total = bufs[0][i]
        for b in bufs[1:]:
            total = total + b[i]
        return tir.seq(tir.BufferStore(tmp, total, [i]), tir.BufferStore(out, tmp[i] * 2.0, [i]))

    loop_var_name = 'j"); abort(); ("'
    f = func(bufs + [out], nest([(loop_var_name, 4, "serial")], body), allocs=[tmp], name=fname)
    src = codegen_c(f)
    code = re.sub(r"/\*.*?\*/", "", src, flags=re.DOTALL)  # user text may only sit in comments
    assert "system(" not in code and "abort(); (" not in code and "/*" not in code
    arrays = [rand(4, seed=s) for s in range(n)]
    got = run(f, *arrays, np.zeros(4, "float32"))[-1]
    np.testing.assert_allclose(got, sum(arrays) * 2, rtol=1e-5)
