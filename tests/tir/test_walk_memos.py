"""The fast tree walks answer exactly what the plain walks answer: collect/collect_each against
a naive pre-order walk, a buffer substitution that skips subtrees without the buffer against
the unpruned rebuild (same program, same shared subtrees), the block index's root shortcut,
the accessed-buffer memo and the leaf blocks against naive walks, `Node.with_field` against
`replace`, and `index_arith` (an expression of + - * // % on variables and integers)
against the buffers a walk finds. Programs: every suite workload's replayed and
postprocessed design spaces."""

import random

import pytest

from raytune_ms import tir, workloads
from raytune_ms.schedule import Schedule, Trace
from raytune_ms.schedule.tree import block_path, blocks_in, child_blocks, find_path, leaf_blocks, stmt_children
from raytune_ms.search_strategy.search_strategy import candidate_from_schedule
from raytune_ms.tir import Block, BlockRealize, Buffer, BufferLoad, BufferRegion, BufferStore, For, Var
from raytune_ms.tir.buffer_access import accessed_buffer_ids
from raytune_ms.tir.functor import _kids, collect, collect_each, index_arith, transform, used_buffers
from raytune_ms.tir.node import Node
from raytune_ms.tune_context import TuneContext


def _programs(name):
    ctx = TuneContext(workloads.get(name, "small").func, target="llvm", space_generator="post-order-apply",
                      rand_state=2)
    out = [ctx.mod["main"]]
    rng = random.Random(3)
    for space in ctx.generate_design_space():
        sch = Schedule(ctx.mod, seed=rng.getrandbits(30))
        Trace(space.trace.simplified(remove_postproc=True).insts, {}).apply_to_schedule(sch, remove_postproc=True)
        out.append(sch.mod["main"])
        cand = candidate_from_schedule(sch, ctx.postprocs)
        if cand is not None:
            out.append(cand.sch.mod["main"])
    return out


def _naive_collect(node, cls):
    out, seen = [], set()

    def walk(n):
        if isinstance(n, cls) and id(n) not in seen:
            seen.add(id(n))
            out.append(n)
        if not isinstance(n, (Var, Buffer)):
            for k in _kids(n):
                walk(k)

    walk(node)
    return out


CLASSES = (Block, BlockRealize, For, BufferLoad, BufferStore, Var, Buffer, (For, BufferStore), tir.IntImm)


@pytest.mark.parametrize("name", workloads.names())
def test_fast_walks_match_plain_ones(name):
    for func in _programs(name):
        body = func.body
        for cls in CLASSES:
            want = _naive_collect(body, cls)
            assert [id(n) for n in collect(body, cls)] == [id(n) for n in want]
        each = collect_each(body, (For, BufferLoad, BufferStore))
        assert [[id(n) for n in xs] for xs in each] == \
            [[id(n) for n in _naive_collect(body, c)] for c in (For, BufferLoad, BufferStore)]
        assert block_path(func, body.block.name) == [body]
        for buf in {id(r.buffer): r.buffer for blk in collect(body, Block) for r in blk.reads + blk.writes}.values():
            new = Buffer(buf.name + "_x", buf.shape, buf.dtype, buf.scope)
            fast = tir.substitute(body, {buf: new})
            plain = transform(body, pre=lambda n, b=buf, nb=new: nb if n is b else None)
            assert tir.script(fast) == tir.script(plain)
            assert (id(buf) in used_buffers(body)) == (fast is not body)
            kept = {id(n) for n in _naive_collect(body, Node)}
            fast_nodes, plain_nodes = _naive_collect(fast, Node), _naive_collect(plain, Node)
            assert len(fast_nodes) == len(plain_nodes)
            for a, b in zip(fast_nodes, plain_nodes):  # both share exactly the unchanged subtrees
                assert (a is b) if id(b) in kept else (id(a) not in kept)


@pytest.mark.parametrize("name", ["GMM", "C2D", "T2D", "SFM", "CBR"])
def test_index_arith_loads_nothing(name):
    """Every expression of the programs (bindings, indices, values, conditions): one that
    index_arith accepts has only Var, IntImm and + - * // % nodes and uses no buffer; both
    answers occur."""
    answers = set()
    for func in _programs(name):
        for n in _naive_collect(func.body, tir.PrimExpr):
            ok = index_arith(n)
            answers.add(ok)
            if ok:
                kinds = {type(k) for k in _naive_collect(n, Node)}
                assert kinds <= {Var, tir.IntImm, tir.Add, tir.Sub, tir.Mul, tir.FloorDiv, tir.FloorMod}
                assert not used_buffers(n)
    assert answers == {True, False}
    x = Var("x", "int32")
    a = Buffer("A", (4,), "int32")
    assert index_arith(x * 2 + 1) and not index_arith(x + BufferLoad(a, [x])) and not index_arith(tir.Min(x, x))


@pytest.mark.parametrize("name", workloads.names())
def test_accessed_buffers_and_leaf_blocks_match_naive_walks(name):
    for func in _programs(name):
        body = func.body
        for node in [body] + _naive_collect(body, (For, BlockRealize, Block)):
            want = {id(n.buffer) for n in _naive_collect(node, (BufferLoad, BufferStore, BufferRegion))}
            assert accessed_buffer_ids(node) == want
        for stmt in _naive_collect(body, (For, BlockRealize)):
            assert [id(b) for b in child_blocks(stmt)] == [id(b) for b in _naive_child_blocks(stmt)]
        want = [b for b in blocks_in(body) if not _naive_child_blocks(b)]
        assert [id(b) for b in leaf_blocks(func)] == [id(b) for b in want]


def _naive_child_blocks(stmt):
    def under(s):
        if isinstance(s, BlockRealize):
            return [s]
        return [b for k in stmt_children(s) for b in under(k)]

    return [b for k in stmt_children(stmt.block if isinstance(stmt, BlockRealize) else stmt) for b in under(k)]


def test_with_field_is_replace_without_the_constructor():
    func = workloads.get("GMM", "small").func
    loop = find_path(func.body, lambda s: isinstance(s, For))[-1]
    body = tir.Evaluate(0)
    a, b = loop.with_field("body", body), loop.replace(body=body)
    assert a is not loop and a.body is body and tir.script(a) == tir.script(b)
    assert all(getattr(a, f) is getattr(loop, f) for f in For._fields if f != "body")
    assert loop.body is not body  # the original is untouched
