"""The classic CPU matmul chain through the Schedule API, compiled and checked against numpy:
cache_write(C, "local") -> tile i, j, k -> reorder -> reverse_compute_at of the write-back at the
outer tile loop -> decompose_reduction; after lowering, C_local is a tile-sized array allocated
inside the tile loop."""

import json

import numpy as np
import pytest

from raytune_ms import build, tir, workloads
from raytune_ms.codegen.lower import lower
from raytune_ms.codegen.lowered import Allocate
from raytune_ms.schedule import Schedule, Trace
from raytune_ms.testing import assert_same_result
from raytune_ms.testing import bare_matmul as matmul


def tiled_matmul_schedule(func, ti=8, tj=32, tk=4):
    sch = Schedule(func)
    c = sch.get_block("C")
    wb = sch.cache_write(c, 0, "local")
    i, j, k = sch.get_loops(c)
    i0, i1 = sch.split(i, [None, ti])
    j0, j1 = sch.split(j, [None, tj])
    k0, k1 = sch.split(k, [None, tk])
    sch.reorder(i0, j0, k0, i1, k1, j1)
    sch.reverse_compute_at(wb, j0)
    sch.decompose_reduction(c, k0)
    sch.parallel(i0)
    sch.vectorize(j1)
    return sch, wb


def allocations(func):
    """(buffer, enclosing loop vars) of every allocation in the lowered program."""
    out = []

    def walk(s, loops):
        if isinstance(s, Allocate):
            out.append((s.buffer, loops))
            walk(s.body, loops)
        elif isinstance(s, tir.For):
            walk(s.body, loops + [s.loop_var.name])
        elif isinstance(s, tir.SeqStmt):
            for x in s.seq:
                walk(x, loops)
        elif isinstance(s, tir.IfThenElse):
            walk(s.then_case, loops)
            if s.else_case is not None:
                walk(s.else_case, loops)

    walk(lower(func).body, [])
    return out


def test_classic_chain_compiles_correct_with_register_tile():
    f0 = matmul(64, 64, 32)
    sch, wb = tiled_matmul_schedule(f0)
    func = sch.mod["main"]
    assert_same_result(f0, func)
    (buf, loops), = [(b, lp) for b, lp in allocations(func) if b.name == "C_local"]
    assert buf.shape == (8, 32) and buf.scope == "local"
    assert loops == ["i_0", "j_0"]  # one tile per (i_0, j_0) iteration, inside the parallel loop
    rng = np.random.default_rng(0)
    a = rng.standard_normal((64, 32)).astype("float32")
    b = rng.standard_normal((32, 64)).astype("float32")
    c = np.zeros((64, 64), "float32")
    build(func, "llvm")(a, b, c)
    np.testing.assert_allclose(c, a @ b, rtol=1e-4, atol=1e-4)
    # the trace replays to the same program
    replay = Schedule(f0)
    Trace.from_json(json.loads(json.dumps(sch.trace.as_json()))).apply_to_schedule(replay, False)
    tir.assert_structural_equal(replay.mod, sch.mod)


@pytest.mark.parametrize("name", ["GMM", "BMM", "C2D"])
def test_block_primitives_on_suite_workloads(name):
    """cache_write + tiling + reverse_compute_at + decompose_reduction on the suite's main
    reduction block, compiled, against the workload's numpy reference."""
    wl = workloads.get(name, size="small")
    func = wl.func
    sch = Schedule(func)
    blocks = [b for b in tir.collect(func.body, tir.Block) if b.init is not None]
    c = sch.get_block(blocks[0].name)
    wb = sch.cache_write(c, 0, "local")
    loops = sch.get_loops(c)
    spatial = [lp for lp, iv in zip(loops, blocks[0].iter_vars) if iv.kind == "spatial"]
    outer = sch.split(spatial[-1], [None, 2])[0]
    sch.reverse_compute_at(wb, outer)
    red = [lp for lp, iv in zip(sch.get_loops(c), blocks[0].iter_vars) if iv.kind == "reduce"]
    if red:
        sch.decompose_reduction(c, sch.get_loops(c)[len(sch.get_loops(c)) - len(red) - 1])
    for b in tir.collect(sch.mod["main"].body, tir.Block):
        if b.name.startswith("pad"):
            sch.compute_inline(sch.get_block(b.name))
    arrays = wl.make_inputs(seed=0)
    expected = wl.reference(*arrays)
    got = [a.copy() for a in arrays]
    build(sch.mod["main"], "llvm")(*got)
    for x, y in zip(got[len(got) - wl.num_outputs:], expected):
        np.testing.assert_allclose(x, y, rtol=wl.rtol, atol=wl.atol)
