"""The JSON form is lossless on every workload of the suite."""

import json

import pytest

from raytune_ms import tir, workloads


@pytest.mark.parametrize("size", ["small", "standard"])
@pytest.mark.parametrize("name", workloads.names())
def test_round_trip_exact(name, size):
    func = workloads.get(name, size).func
    text = tir.to_json(func)
    back = tir.from_json(text)
    assert tir.to_json(back) == text
    assert tir.structural_equal(back, func)
    assert tir.structural_hash(back) == tir.structural_hash(func)
    assert tir.script(back) == tir.script(func)
    assert tir.from_json(json.loads(text)) is not None


def test_round_trip_keeps_identity_sharing():
    func = workloads.get("CBR", "small").func
    back = tir.from_json(tir.to_json(func))
    # each parameter is one Buffer object wherever it is used
    for p in back.params:
        accesses = tir.collect(back.body, (tir.BufferLoad, tir.BufferStore, tir.BufferRegion))
        users = [n.buffer for n in accesses if n.buffer.name == p.name]
        assert users and all(u is p for u in users)
    # each block iterator is the same Var in its IterVar and in the block body
    for blk in tir.collect(back.body, tir.Block):
        ids = {id(iv.var) for iv in blk.iter_vars}
        used = {id(v) for v in tir.collect(blk.body, tir.Var)}
        assert used <= ids or not blk.iter_vars


def test_round_trip_of_non_finite_and_names():
    from raytune_ms import te

    A = te.placeholder((3, 4), name="in put")
    k = te.reduce_axis(4, "k")
    M = te.compute((3,), lambda i: te.max(A[i, k], axis=k), name="max.out")
    func = te.create_prim_func([A, M])
    back = tir.from_json(tir.to_json(func))
    assert tir.to_json(back) == tir.to_json(func)
    assert [p.name for p in back.params] == ["in put", "max.out"]
    init = tir.collect(back.body, tir.Block)[1].init
    assert init.value.value == float("-inf")
