"""The packed panel of a matmul whose B is stored transposed (nn.Linear's weight [out, in]) is
laid out [K][N], the output's column axis last, so that the register tile's vector loads are
contiguous (copied in B's own order they gathered K floats apart); a B already [K][N] is
packed as before. Every schedule is checked against numpy."""

import pytest

from raytune_ms import te
from raytune_ms.codegen import codegen_c
from raytune_ms.target import Target
from raytune_ms.testing.design_spaces import AVX512, check_numpy, context, replays
from raytune_ms.tir import Block, collect

M, K, N = 32, 48, 64


def _matmul(transposed: bool):
    a = te.placeholder((M, K), name="A")
    b = te.placeholder((N, K) if transposed else (K, N), name="B")
    k = te.reduce_axis((0, K), name="k")
    c = te.compute((M, N), lambda i, j: te.sum(a[i, k] * (b[j, k] if transposed else b[k, j]), axis=[k]), name="C")
    return te.create_prim_func([a, b, c])


def _panels(sch):
    return [buf for blk in collect(sch.mod["main"].body, Block) for buf in blk.alloc_buffers if buf.name == "B_global"]


@pytest.mark.parametrize("transposed", [True, False])
def test_the_panel_is_packed_column_axis_last(transposed):
    func = _matmul(transposed)
    schedules, _ = replays(context(func, target=AVX512), 6, seed=4)
    packed = [s for s in schedules if _panels(s)]
    assert packed, "no replay packed B"
    for sch in packed:
        (panel,) = _panels(sch)
        assert tuple(int(d) for d in panel.shape) == (K, N)
        src = codegen_c(sch.mod["main"], Target(AVX512))
        scalar = [ln for ln in src.splitlines() if "scalar loop" in ln and "B_global has element stride" in ln
                  and "loop ax" not in ln]
        assert not scalar, scalar
    for sch in schedules:
        check_numpy(func, sch, interpreter=False)
