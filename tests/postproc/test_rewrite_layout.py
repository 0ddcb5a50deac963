"""RewriteLayout: the weight's new layout follows the tiled loop nest (contiguous in loop order),
the whole program stays correct, `split_layout_rewrite` lifts the copy out (the weight converted
once with the recorded IndexMap gives the same result), the trace replays, and weights that cannot
be rewritten leave the program unchanged. Also random replays of the automatic design space of a
matmul and a conv2d with layout-free weights."""

import json

import numpy as np
import pytest

from raytune_ms import build, te, tir, topi, workloads
from raytune_ms.postproc import RewriteLayout
from raytune_ms.schedule import Schedule, Trace
from raytune_ms.testing import bare_matmul, interpret, random_inputs
from raytune_ms.testing.design_spaces import context, replays
from raytune_ms.tir.layout_rewrite import (
    LAYOUT_FREE_ATTR,
    LAYOUT_TRANSFORMS_ATTR,
    preproc_blocks,
    split_layout_rewrite,
)


def _tiled(func):
    sch = Schedule(func)
    b = sch.get_block("C")
    i, j, k = sch.get_loops(b)
    i0, i1 = sch.split(i, [8, 8])
    j0, j1 = sch.split(j, [4, 16])
    k0, k1 = sch.split(k, [8, 4])
    sch.reorder(i0, j0, k0, i1, k1, j1)
    sch.enter_postproc()
    return sch


def _check_both_ways(func, sch, expected, rtol=1e-4, atol=1e-4):
    """The program with its copy stage, and without it on the weights converted once."""
    arrays = random_inputs(func, seed=1)
    want = expected(arrays)
    g = sch.mod["main"]
    got = [a.copy() for a in arrays]
    build(g, "llvm")(*got)
    np.testing.assert_allclose(got[-1], want, rtol=rtol, atol=atol)
    h, maps = split_layout_rewrite(g)
    assert not preproc_blocks(h)
    recorded = dict(h.attrs).get(LAYOUT_TRANSFORMS_ATTR, ())
    assert [i for i, _ in recorded] == sorted(maps)
    converted = [tir.IndexMap.from_json(dict(recorded)[i]).apply_to_array(a) if i in maps else a.copy()
                 for i, a in enumerate(arrays)]
    build(h, "llvm")(*converted)
    np.testing.assert_allclose(converted[-1], want, rtol=rtol, atol=atol)
    return maps


def test_weight_is_laid_out_in_loop_order_and_read_contiguously():
    f = bare_matmul(64, 64, 32).with_attr(LAYOUT_FREE_ATTR, (1,))
    sch = _tiled(f)
    assert RewriteLayout().apply(sch)
    g = sch.mod["main"]
    (pre,) = preproc_blocks(g)
    assert pre.reads[0].buffer.name == "B"
    maps = _check_both_ways(f, sch, lambda a: a[0] @ a[1])
    # loops j0, k0, k1, j1 move through B: its new dimensions, in that order
    assert maps[1].map_shape((32, 64)) == (4, 8, 4, 16)
    h, _ = split_layout_rewrite(g)
    (load,) = [ld for ld in tir.collect(h.body, tir.BufferLoad) if ld.buffer.name == "B"]
    assert [str(x) for x in load.indices] == ["(v_j // 16)", "(v_k // 4)", "(v_k % 4)", "(v_j % 16)"]
    np.testing.assert_allclose(interpret(g, random_inputs(f))[2], interpret(f, random_inputs(f))[2], rtol=1e-6)
    replayed = Schedule(f)
    Trace.from_json(json.loads(json.dumps(sch.trace.as_json()))).apply_to_schedule(replayed)
    tir.assert_structural_equal(replayed.mod, sch.mod)
    assert "sch.transform_layout(" in str(sch.trace) and "layout_rewrite_preproc" in str(sch.trace)


@pytest.mark.parametrize("case", ["no attribute", "row-major already", "two readers", "imperfect tile"])
def test_weights_that_cannot_be_rewritten_leave_the_program(case):
    f = bare_matmul(64, 64, 32)
    if case == "two readers":
        A = te.placeholder((8, 8), name="A")
        W = te.placeholder((8, 8), name="W")
        C = te.compute((8, 8), lambda i, j: A[i, j] * W[j, i], name="C")
        D = te.compute((8, 8), lambda i, j: C[i, j] + W[i, j], name="D")
        f = te.create_prim_func([A, W, D])
    if case != "no attribute":
        f = f.with_attr(LAYOUT_FREE_ATTR, (1,))
    sch = Schedule(f)
    if case == "row-major already":  # k outside j: B[k, j] is read in its own order
        i, j, k = sch.get_loops(sch.get_block("C"))
        sch.reorder(i, k, j)
    if case == "imperfect tile":
        j = sch.get_loops(sch.get_block("C"))[1]
        j0, j1 = sch.split(j, [None, 24])
        sch.reorder(j1, j0)
    before = tir.structural_hash(sch.mod)
    assert RewriteLayout().apply(sch)
    assert tir.structural_hash(sch.mod) == before


def _conv(data_shape, weight_shape, **kw):
    x = te.placeholder(data_shape, name="x")
    w = te.placeholder(weight_shape, name="w")
    y = topi.conv2d(x, w, **kw)
    return te.create_prim_func([x, w, y]).with_attr(LAYOUT_FREE_ATTR, (1,))


def _torch_conv(a, **kw):
    import torch

    return torch.nn.functional.conv2d(torch.from_numpy(a[0]), torch.from_numpy(a[1]), **kw).numpy()


@pytest.mark.parametrize("which", ["matmul", "conv2d"])
def test_random_design_space_replays_stay_correct(which):
    if which == "matmul":
        f = bare_matmul(128, 128, 128).with_attr(LAYOUT_FREE_ATTR, (1,))
        expected = lambda a: a[0] @ a[1]  # noqa: E731
    else:
        pytest.importorskip("torch")
        f = _conv((1, 16, 10, 10), (32, 16, 3, 3), padding=1)
        expected = lambda a: _torch_conv(a, padding=1)  # noqa: E731
    scheds, rejected = replays(context(f), 10, seed=2)
    assert rejected == 0
    rewritten = 0
    for sch in scheds:
        rewritten += bool(_check_both_ways(f, sch, expected, atol=1e-3))
    assert rewritten >= 2, rewritten


@pytest.mark.parametrize("name", workloads.names())
def test_every_suite_workload_with_layout_free_inputs(name):
    """All inputs marked layout-free: random replays of the automatic space through the default
    postprocessors stay correct with the copy stage, and without it on converted inputs."""
    wl = workloads.get(name, size="small")
    f = wl.func.with_attr(LAYOUT_FREE_ATTR, tuple(range(wl.num_inputs)))
    scheds, rejected = replays(context(f), 3, seed=4)
    assert rejected == 0
    for sch in scheds:
        _check_both_ways(f, sch, lambda a: wl.reference(*a[:wl.num_inputs])[-1], rtol=wl.rtol, atol=wl.atol)
