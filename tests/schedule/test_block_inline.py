"""compute_inline / reverse_compute_inline: fused results match, buffers and loops vanish,
and every precondition has its error."""

import numpy as np
import pytest

from raytune_ms import te, tir
from raytune_ms.codegen import build
from raytune_ms.schedule import ScheduleError
from raytune_ms.schedule.primitives.block_compute_at import compute_at
from raytune_ms.schedule.primitives.block_inline import compute_inline, reverse_compute_inline
from raytune_ms.schedule.tree import block_path
from raytune_ms.testing import (
    assert_same_result,
    block_names,
    elementwise_chain,
    loops_of,
    stencil,
)
from raytune_ms.testing import (
    bare_matmul as matmul,
)


def allocated(func):
    return [b.name for blk in tir.collect(func.body, tir.Block) for b in blk.alloc_buffers]


def reads_of(func, name):
    return {r.buffer.name: r for r in block_path(func, name)[-1].block.reads}


def test_compute_inline_chain():
    f = elementwise_chain()
    g = compute_inline(f, "B")
    assert block_names(g) == ["C", "D"]
    assert allocated(g) == ["C"]
    assert list(reads_of(g, "C")) == ["A"]
    g = compute_inline(g, "C")
    assert block_names(g) == ["D"] and allocated(g) == []
    assert len(tir.collect(g.body, tir.For)) == 2
    assert_same_result(f, g)


def test_compute_inline_window_merges_regions():
    f = stencil(10)
    g = compute_inline(f, "B")
    region = reads_of(g, "C")["A"].region[0]
    assert region.extent.value == 3  # A[i], A[i+1], A[i+2] -> one window
    assert_same_result(f, g)


def test_compute_inline_into_reduction_and_after_compute_at():
    A = te.placeholder((6, 8), name="A")
    E = te.compute((6, 8), lambda i, j: A[i, j] * A[i, j], name="E")
    k = te.reduce_axis((0, 8), name="k")
    R = te.compute((6,), lambda i: te.sum(E[i, k], axis=k), name="R")
    f = te.create_prim_func([A, R])
    assert_same_result(f, compute_inline(f, "E"))
    g = compute_at(f, "E", loops_of(f, "R")[0])
    assert_same_result(f, compute_inline(g, "E"))


def test_reverse_compute_inline_chain_and_epilogue():
    f = elementwise_chain()
    g = reverse_compute_inline(f, "D")
    assert block_names(g) == ["B", "C"]
    store = block_path(g, "C")[-1].block.body
    assert store.buffer.name == "D"
    assert [r.buffer.name for r in block_path(g, "C")[-1].block.writes] == ["D"]
    assert_same_result(f, g)
    assert_same_result(f, reverse_compute_inline(g, "C"))


def test_reverse_compute_inline_with_extra_inputs():
    A = te.placeholder((4, 6), name="A")
    bias = te.placeholder((6,), name="bias")
    B = te.compute((4, 6), lambda i, j: A[i, j] * 2.0, name="B")
    C = te.compute((4, 6), lambda i, j: B[i, j] + bias[j], name="C")
    f = te.create_prim_func([A, bias, C])
    g = reverse_compute_inline(f, "C")
    assert sorted(reads_of(g, "B")) == ["A", "bias"]
    assert_same_result(f, g)


# ---------------------------------------------------------------------------- errors


def test_compute_inline_errors():
    f = matmul(4, 4, 4, relu=True)
    with pytest.raises(ScheduleError, match=r"block 'C' is a reduction"):
        compute_inline(f, "C")
    with pytest.raises(ScheduleError, match=r"writes 'D', an output of the function"):
        compute_inline(f, "D")
    with pytest.raises(ScheduleError, match=r"no block named 'nope'"):
        compute_inline(f, "nope")
    A = te.placeholder((4, 4), name="A")
    T = te.compute((4, 4), lambda i, j: A[j, i], name="T")
    U = te.compute((4, 4), lambda i, j: T[i, j] + 1.0, name="U")
    g = te.create_prim_func([A, U])
    # a transposed read inlines fine
    assert_same_result(g, compute_inline(g, "T"))


def test_compute_inline_rejects_non_iterator_store():
    A = tir.Buffer("A", (4,))
    B = tir.Buffer("B", (8,))
    C = tir.Buffer("C", (4,))
    v, w = tir.Var("v"), tir.Var("w")
    i, j = tir.Var("i"), tir.Var("j")
    prod = tir.Block("P", [tir.IterVar(v, tir.Range(0, 4), "spatial")],
                     [tir.BufferRegion(A, [tir.Range(v, 1)])],
                     [tir.BufferRegion(B, [tir.Range(v * 2, 1)])],
                     tir.BufferStore(B, A[v], [v * 2]))
    cons = tir.Block("Q", [tir.IterVar(w, tir.Range(0, 4), "spatial")],
                     [tir.BufferRegion(B, [tir.Range(w * 2, 1)])],
                     [tir.BufferRegion(C, [tir.Range(w, 1)])],
                     tir.BufferStore(C, B[w * 2], [w]))
    body = tir.seq(tir.For(i, 0, 4, "serial", tir.BlockRealize([i], True, prod)),
                   tir.For(j, 0, 4, "serial", tir.BlockRealize([j], True, cons)))
    root = tir.Block("root", [], [], [], body, alloc_buffers=[B])
    f = tir.PrimFunc([A, C], tir.BlockRealize([], True, root))
    with pytest.raises(ScheduleError, match=r"stores to 'B' at \[\(v \* 2\)\]; the indices must be"):
        compute_inline(f, "P")
    with pytest.raises(ScheduleError, match=r"reads 'B' at \[\(w \* 2\)\]"):
        reverse_compute_inline(f, "Q")


def test_reverse_compute_inline_errors():
    f = matmul(4, 4, 4, relu=True)
    with pytest.raises(ScheduleError, match=r"producer of 'D', 'C' is a reduction"):
        reverse_compute_inline(f, "D")
    with pytest.raises(ScheduleError, match=r"block 'C' is a reduction"):
        reverse_compute_inline(f, "C")
    with pytest.raises(ScheduleError, match=r"block 'B' has no producer"):
        reverse_compute_inline(elementwise_chain(), "B")
    # the consumer reads its producer at several offsets
    with pytest.raises(ScheduleError, match=r"reads 'B' at several different indices"):
        reverse_compute_inline(stencil(8), "C")
    # two consumers of B: inlining one would drop B for the other
    A = te.placeholder((4,), name="A")
    B = te.compute((4,), lambda i: A[i] + 1.0, name="B")
    C = te.compute((4,), lambda i: B[i] * 2.0, name="C")
    D = te.compute((4,), lambda i: B[i] + C[i], name="D")
    g = te.create_prim_func([A, D])
    with pytest.raises(ScheduleError, match=r"'B' is also read by \['D'\]"):
        reverse_compute_inline(g, "C")
    with pytest.raises(ScheduleError, match=r"several producers"):
        reverse_compute_inline(g, "D")



def test_reverse_compute_inline_of_a_consumer_of_a_leading_part_adds_a_predicate():
    """S reads B[0:2] of B[0:4]: B's block writes S under the predicate i < 2 (pad_einsum's
    cut-back of a padded output is such a consumer)."""
    A = te.placeholder((4, 3), name="A")
    B = te.compute((4, 3), lambda i, j: A[i, j] + 1.0, name="B")
    S = te.compute((2, 3), lambda i, j: B[i, j] * 3.0, name="S")
    h = te.create_prim_func([A, S])
    g = reverse_compute_inline(h, "S")
    (realize,) = [r for r in tir.collect(g.body, tir.BlockRealize) if r.block.name == "B"]
    assert "< 2" in tir.script(realize.predicate)
    assert_same_result(h, g)
    a = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    s = np.zeros((2, 3), np.float32)
    build(g, "llvm")(a, s)
    np.testing.assert_allclose(s, (a[:2] + 1.0) * 3.0, rtol=1e-6)
