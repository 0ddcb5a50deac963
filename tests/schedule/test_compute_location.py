"""Compute-location candidates: the reference's stop rules (a spatial loop after a reduction
loop) and, beyond it, no loop the produced values do not depend on (each iteration would
compute them again). Every candidate is checked against numpy through gcc."""

import numpy as np

from raytune_ms import te, workloads
from raytune_ms.codegen import build
from raytune_ms.schedule import Schedule
from raytune_ms.schedule.primitives.block_compute_at import compute_location_candidates
from raytune_ms.testing import random_inputs


def _padded_conv():
    """A small NHWC conv with an explicit padding stage, its loops ordered co, h, w, rh, rw, rc
    (co outermost: the padding does not depend on it)."""
    wl = workloads.get("C2D", "small")
    sch = Schedule(wl.func)
    conv = sch.get_block("conv2d_nhwc")
    n, h, w, co, rh, rw, rc = sch.get_loops(conv)
    sch.reorder(co, n, h, w, rh, rw, rc)
    return wl, sch


def _names(sch, block):
    return [v.name for v in compute_location_candidates(sch.mod["main"], block)]


def test_padding_skips_the_channel_loop_and_stops_at_reductions_below_every_spatial_loop():
    _, sch = _padded_conv()
    # co: the padding does not depend on it; rh, rw, rc are deeper than the last spatial loop
    assert _names(sch, "pad_temp") == ["n", "h", "w"]


def test_walk_stops_at_a_spatial_loop_after_a_reduction_loop():
    _, sch = _padded_conv()
    conv = sch.get_block("conv2d_nhwc")
    co, n, h, w, rh, rw, rc = sch.get_loops(conv)
    sch.reorder(rh, w)  # co n h rh w rw rc: w (spatial) follows rh (reduction)
    assert _names(sch, "pad_temp") == ["n", "h", "rh"]


def test_matmul_producer_skips_the_column_loop():
    A = te.placeholder((16, 8), name="A")
    B = te.placeholder((8, 16), name="B")
    A2 = te.compute((16, 8), lambda i, k: A[i, k] * 2.0, name="A2")
    k = te.reduce_axis((0, 8), "k")
    C = te.compute((16, 16), lambda i, j: te.sum(A2[i, k] * B[k, j], axis=k), name="C")
    sch = Schedule(te.create_prim_func([A, B, C]))
    assert _names(sch, "A2") == ["i"]  # under j each row of A2 would be computed 16 times


def test_every_candidate_is_correct():
    wl, sch = _padded_conv()
    arrays = random_inputs(wl.func, seed=3)
    want = [a.copy() for a in arrays]
    build(wl.func, "llvm")(*want)
    n_cands = len(compute_location_candidates(sch.mod["main"], "pad_temp"))
    assert n_cands > 0
    for d in range(-1, n_cands):
        s = sch.copy()
        s.compute_at(s.get_block("pad_temp"), s.sample_compute_location(s.get_block("pad_temp"), decision=d))
        got = [a.copy() for a in arrays]
        build(s.mod, "llvm")(*got)
        np.testing.assert_allclose(got[-1], want[-1], rtol=1e-4, atol=1e-4)
