"""The replay and postprocessing fast paths answer exactly what the plain code they replace
answered, on every suite workload's design spaces (replayed with several seeds, then
postprocessed). Each check records what the schedule asks while replaying, and compares the
fast answer with the plain one (the code before the fast path, kept here as the reference):

- compute-location candidates: planned with `check_only` (no loop nest built) against a full
  plan of every candidate loop, and a compute_at right after them (which reuses that analysis)
  against one analysed afresh;
- producers of a block from its memoised input buffer ids against the walk over its loads;
- the buffers a node loads and stores (memoised per node) against `collect`;
- decompose_reduction rebuilding the path once against its two rebuilds (same program);
- whether a loop carries a reduction (memoised per subtree) against a walk over its blocks;
- the block list of RewriteReductionBlock (from the block index) against `collect`;
- a block's path from the index (cache_read's redirect) against a pre-order walk, and a
  BlockRealize rebuilt around its changed block without its constructor against `replace`;
- the int fast path of `convert`, the one-item annotations of statements, and a relaxed loop
  variable's upper end folded directly.
"""

import random

import pytest

from raytune_ms import tir, workloads
from raytune_ms.postproc import rewrite_reduction_block
from raytune_ms.schedule import Schedule, ScheduleError, Trace
from raytune_ms.schedule.primitives import block_compute_at, block_decompose_reduction
from raytune_ms.schedule.primitives.block_common import find_block
from raytune_ms.schedule.primitives.reduction_loops import carries_reduction
from raytune_ms.schedule.tree import _replace_child, block_path, blocks_in, find_path, replace_path
from raytune_ms.search_strategy.search_strategy import candidate_from_schedule
from raytune_ms.tir import Block, BlockRealize, For
from raytune_ms.tir.analysis import always_bounded, relax
from raytune_ms.tir.buffer_access import loaded_buffer_ids, stored_buffer_ids
from raytune_ms.tir.expr import FloatImm, IntImm, convert
from raytune_ms.tir.functor import used_vars
from raytune_ms.tir.stmt import _frozen_annotations
from raytune_ms.tune_context import TuneContext


def _plain_writes(realize, buf):
    return any(r.buffer is buf for r in realize.block.writes) or \
        any(s.buffer is buf for s in tir.collect(realize.block, tir.BufferStore))


def _plain_producers(blocks, me):
    i = blocks.index(me)
    bufs = [r.buffer for r in me.block.reads] + [ld.buffer for ld in tir.collect(me.block, tir.BufferLoad)]
    return [b for b in blocks[:i] if any(_plain_writes(b, x) for x in bufs)]


def _plain_decompose(func, block_name, loop_var, fast):
    """decompose_reduction's result rebuilt as before: the block without its init, then a
    walk to the loop and a second rebuild with the init nest (taken from `fast`) before it."""
    path = block_path(fast[0], fast[1])
    i = len(path) - 1
    while isinstance(path[i - 1], For):  # the init's own loops, up to the sequence they start
        i -= 1
    nest = path[i]
    bpath = find_block(func.body, block_name)
    body = replace_path(bpath, bpath[-1].replace(block=bpath[-1].block.replace(init=None)))
    lp = find_path(body, lambda s: isinstance(s, For) and s.loop_var is loop_var)
    return func.with_body(replace_path(lp, tir.seq(nest, lp[-1])))


def _plain_carries(loop):
    for realize in blocks_in(loop.body):
        for iv, value in zip(realize.block.iter_vars, realize.iter_values):
            if iv.kind != "spatial" and id(loop.loop_var) in used_vars(value):
                return True
    return False


def _record(monkeypatch):
    """Wrap the fast paths to check each answer against the plain one as the schedule asks."""
    seen = {"funcs": [], "candidates": 0, "producers": 0, "decompose": 0}
    cand, prods, decomp = (block_compute_at.compute_location_candidates, block_compute_at._producers,
                           block_decompose_reduction.decompose_reduction)
    full_plan = block_compute_at.plan

    def candidates(func, name):
        with monkeypatch.context() as m:  # as it was: a full plan (loop nest built) per loop
            m.setattr(block_compute_at, "plan", lambda ctx, loop_var, check_only=False: full_plan(ctx, loop_var))
            plain = cand(func, name)
        out = cand(func, name)
        assert out == plain, name
        for loop in out[:2]:  # a compute_at right after reuses the analysis and the check's plan
            for preserve, index in ((True, -1), (False, -2)):
                try:
                    fast = tir.script(block_compute_at.compute_at(func, name, loop, preserve, index))
                except ScheduleError as e:
                    fast = str(e)
                block_compute_at._CANDIDATES_OF[0] = None
                try:
                    plain = tir.script(block_compute_at.compute_at(func, name, loop, preserve, index))
                except ScheduleError as e:
                    plain = str(e)
                assert fast == plain, (name, loop.name)
                cand(func, name)
        seen["candidates"] += 1
        return out

    def producers(blocks, me):
        out = prods(blocks, me)
        assert [id(b) for b in out] == [id(b) for b in _plain_producers(blocks, me)], me.block.name
        seen["producers"] += 1
        return out

    def decompose(func, name, loop_var):
        out = decomp(func, name, loop_var)
        assert tir.script(out[0]) == tir.script(_plain_decompose(func, name, loop_var, out)), name
        seen["decompose"] += 1
        seen["funcs"].append(func)
        return out

    monkeypatch.setattr(block_compute_at, "compute_location_candidates", candidates)
    monkeypatch.setattr(block_compute_at, "_producers", producers)
    monkeypatch.setattr(block_decompose_reduction, "decompose_reduction", decompose)
    return seen


def _check_program(func):
    body = func.body
    for loop in tir.collect(body, For):
        assert carries_reduction(loop) == _plain_carries(loop), loop.loop_var.name
    assert [id(b) for b in rewrite_reduction_block._blocks(func)] == [id(b) for b in tir.collect(body, Block)]
    for r in blocks_in(body):
        assert block_path(func, r.block.name) == find_block(body, r.block.name)
        fast, plain = _replace_child(r, r.block, r.block), r.replace(block=r.block)
        assert [getattr(fast, f) for f in BlockRealize._fields] == [getattr(plain, f) for f in BlockRealize._fields]
        for node in (r.block, r.block.body, r):
            assert loaded_buffer_ids(node) == frozenset(id(x.buffer) for x in tir.collect(node, tir.BufferLoad))
            assert stored_buffer_ids(node) == frozenset(id(x.buffer) for x in tir.collect(node, tir.BufferStore))


def _replay_and_check(name, size, monkeypatch, seeds=2):
    seen = _record(monkeypatch)
    ctx = TuneContext(workloads.get(name, size).func, target="llvm", space_generator="post-order-apply",
                      rand_state=2)
    rng = random.Random(7)
    programs = [ctx.mod["main"]]
    for space in ctx.generate_design_space():
        trace = Trace(space.trace.simplified(remove_postproc=True).insts, {})
        for _ in range(seeds):
            sch = Schedule(ctx.mod, seed=rng.getrandbits(30))
            trace.apply_to_schedule(sch, remove_postproc=True)
            programs.append(sch.mod["main"])
            cand = candidate_from_schedule(sch, ctx.postprocs)
            if cand is not None:
                programs.append(cand.sch.mod["main"])
    for func in programs + seen["funcs"]:
        _check_program(func)
    return seen


@pytest.mark.parametrize("name", workloads.names())
def test_fast_paths_answer_what_the_plain_code_did(name, monkeypatch):
    _replay_and_check(name, "small", monkeypatch)


def test_the_checks_see_compute_locations_producers_and_inits(monkeypatch):
    seen = _replay_and_check("C2D", "small", monkeypatch, seeds=1)
    assert seen["candidates"] and seen["producers"] and seen["decompose"]


def test_convert_fast_path_is_the_general_path():
    for dtype in ("int32", "int64", "int8", "uint8", "bool", "float32", "float16", "float64"):
        like = FloatImm(0.0, dtype) if dtype.startswith("float") else IntImm(0, dtype)
        for value in (0, 1, -3, 2**40):
            got = convert(value, like)
            want = (FloatImm(value, dtype) if dtype.startswith("float") else
                    IntImm(value, dtype if dtype != "bool" else "int32"))
            assert type(got) is type(want) and got.dtype == want.dtype and got.value == want.value
    assert convert(True, IntImm(0, "int64")).dtype == "bool"  # bools keep the general path


def test_one_item_annotations_are_kept_as_they_are():
    frozen = _frozen_annotations({"a": 1})
    assert frozen == (("a", 1),)
    assert _frozen_annotations(frozen) is frozen
    assert _frozen_annotations([("b", 2)]) == (("b", 2),)
    assert _frozen_annotations((["c", 3],)) == (("c", 3),)
    assert _frozen_annotations((("z", 1), ("a", 2))) == (("a", 2), ("z", 1))
    loop = find_path(workloads.get("GMM", "small").func.body, lambda s: isinstance(s, For))[-1]
    annotated = loop.replace(annotations={"k": 1})
    assert annotated.replace(kind="serial").annotations == (("k", 1),)


def test_relaxing_a_loop_variable_folds_as_add_and_sub_do():
    for lo_t, ext_t in (("int32", "int32"), ("int64", "int64"), ("int32", "int64"), ("uint8", "uint8")):
        v = tir.Var("v", lo_t)
        for lo, ext in ((0, 1), (0, 16), (3, 5), (IntImm(2, lo_t), tir.Var("n", ext_t))):
            r = tir.Range(IntImm(lo, lo_t) if isinstance(lo, int) else lo,
                          IntImm(ext, ext_t) if isinstance(ext, int) else ext)
            got = relax(v, {v: r}, {})
            want = (r.min, tir.add(r.min, tir.sub(r.extent, 1)))
            assert got[0] is want[0] and tir.structural_equal(got[1], want[1]), (lo_t, ext_t, lo, ext)


def test_a_realize_rebuilt_around_a_block_of_other_iterators_is_refused():
    func = workloads.get("GMM", "small").func
    realize = next(r for r in blocks_in(func.body) if r.block.iter_vars)
    fewer = realize.block.replace(iter_vars=realize.block.iter_vars[1:])
    with pytest.raises(ValueError, match=realize.block.name):
        _replace_child(realize, realize.block, fewer)


def test_always_bounded_accepts_only_bounded_arithmetic_of_the_given_loops():
    i, j, n = tir.Var("i"), tir.Var("j"), tir.Var("n")
    ids = {id(i), id(j)}
    two = IntImm(2, "int32")
    assert always_bounded(i * two + j, ids)
    assert always_bounded(tir.floordiv(i - j, 4) + tir.floormod(j, 3), ids)
    assert always_bounded(tir.min_expr(i, j) * i, ids)
    assert not always_bounded(i + n, ids)  # a variable without a constant range
    assert not always_bounded(tir.floordiv(i, j), ids)  # division by a variable
    assert not always_bounded(tir.FloorDiv(i, IntImm(-2, "int32")), ids)
    assert not always_bounded(tir.Select(i < j, i, j), ids)
    assert not always_bounded(FloatImm(1.0, "float32"), ids)
