"""tensorize: mark a loop nest as one tensor intrinsic (tir/tensor_intrin).

The nest under the loop must be the intrinsic's description up to renaming: as many perfectly
nested loops with the same extents (from 0), one block whose iterators each advance with exactly
one of those loops (plus any offset from outer loops) with the description's iterator kinds, no
init and a true predicate, and a body equal to the description's with every buffer of the same
dtype and scope, its last dimensions indexed like the description's (offset by outer loops) and
any leading dimensions not moving inside the nest.

Unlike the reference, the loops stay as the region's body and the loop is annotated
`TENSORIZED_KEY` = the intrinsic's name: every interpreter and the C back end still compute
the region by its description, and the CUDA back end emits the implementation in its place.
"""

from __future__ import annotations

from ...tir import BlockRealize, Buffer, BufferLoad, BufferStore, For, IntImm, Node, Var, const, sub, substitute
from ...tir.analysis import is_true
from ...tir.arith import simplify
from ...tir.tensor_intrin import TENSORIZED_KEY, TensorIntrin
from ..error import ScheduleError
from ..tree import loop_path, replace_in_func


def _nest(stmt):
    loops = []
    while isinstance(stmt, For):
        loops.append(stmt)
        stmt = stmt.body
    return loops, stmt


def _desc_nest(desc):
    return _nest(desc.body.block.body)


class _Matcher:
    def __init__(self, where):
        self.where = where
        self.vars: dict = {}  # candidate iter Var -> desc iter Var
        self.bufs: dict = {}  # id(candidate Buffer) -> desc Buffer

    def fail(self, why):
        raise ScheduleError(f"tensorize {self.where}: {why}")

    def index(self, c, d) -> bool:
        zero = {v: const(0, v.dtype) for v in self.vars}
        moving = simplify(sub(c, substitute(c, zero)))
        if d is None:
            return isinstance(moving, IntImm) and moving.value == 0
        return isinstance(moving, Var) and self.vars.get(moving) is d

    def access(self, c, d) -> bool:
        cb, db = c.buffer, d.buffer
        prev = self.bufs.setdefault(id(cb), db)
        if prev is not db:
            return False
        if cb.dtype != db.dtype or cb.scope != db.scope:
            self.fail(f"buffer {cb.name!r} is {cb.dtype} in {cb.scope!r}; the intrinsic's operand "
                      f"{db.name!r} is {db.dtype} in {db.scope!r}")
        lead = len(c.indices) - len(d.indices)
        if lead < 0:
            return False
        return (all(self.index(i, None) for i in c.indices[:lead])
                and all(self.index(i, j) for i, j in zip(c.indices[lead:], d.indices)))

    def same(self, c, d) -> bool:
        if type(c) is not type(d):
            return False
        if isinstance(c, (BufferLoad, BufferStore)):
            return self.access(c, d) and (not isinstance(c, BufferStore) or self.same(c.value, d.value))
        if isinstance(c, Var):
            return self.vars.get(c) is d
        if isinstance(c, Buffer):
            return False
        if isinstance(c, Node):
            return all(self.same(getattr(c, f), getattr(d, f)) for f in c._fields) and \
                getattr(c, "dtype", None) == getattr(d, "dtype", None)
        if isinstance(c, tuple):
            return len(c) == len(d) and all(self.same(x, y) for x, y in zip(c, d))
        return c == d


def match(loop: For, desc, ignore_init: bool = False) -> None:
    """A ScheduleError naming the loop and what differs, unless the nest at `loop` is `desc`
    (`ignore_init`: a reduction's init, to be decomposed later, is allowed)."""
    where = f"of loop {loop.loop_var.name!r}"
    m = _Matcher(where)
    loops, realize = _nest(loop)
    dloops, drealize = _desc_nest(desc)
    if not isinstance(realize, BlockRealize):
        m.fail(f"the loops under it hold a {type(realize).__name__}, not one block")
    where = f"of loop {loop.loop_var.name!r} (block {realize.block.name!r})"
    m.where = where
    if [lp.extent.value if isinstance(lp.extent, IntImm) else None for lp in loops] != \
            [lp.extent.value for lp in dloops]:
        m.fail(f"loop extents {[str(lp.extent) for lp in loops]} are not the intrinsic's "
               f"{[lp.extent.value for lp in dloops]}")
    if any(not (isinstance(lp.min, IntImm) and lp.min.value == 0) for lp in loops):
        m.fail("a loop of the nest does not start at 0")
    block, dblock = realize.block, drealize.block
    if block.init is not None and not ignore_init:
        m.fail("the block has an init (decompose the reduction first)")
    if not is_true(realize.predicate):
        m.fail(f"the block is guarded by {realize.predicate!r} (a partial tile)")
    position = {lp.loop_var: n for n, lp in enumerate(loops)}
    zero = {lp.loop_var: const(0, lp.loop_var.dtype) for lp in loops}
    for iv, value in zip(block.iter_vars, realize.iter_values):
        moving = simplify(sub(value, substitute(value, zero)))
        if isinstance(moving, IntImm) and moving.value == 0:
            continue
        n = position.get(moving) if isinstance(moving, Var) else None
        if n is None:
            m.fail(f"iterator {iv.var.name!r} = {value!r} does not advance with exactly one loop of the nest")
        div = dblock.iter_vars[n]
        if div.kind != iv.kind:
            m.fail(f"iterator {iv.var.name!r} is {iv.kind}; the intrinsic's is {div.kind}")
        if div.var in m.vars.values():
            m.fail(f"two iterators advance with loop {loops[n].loop_var.name!r}")
        m.vars[iv.var] = div.var
    if len(m.vars) != len(dblock.iter_vars):
        m.fail("some loop of the nest drives no block iterator")
    if not m.same(block.body, dblock.body):
        m.fail(f"the block computes {block.body!r}, not the intrinsic's {dblock.body!r}")


def tensorize(func, loop_var, intrin_name: str):
    intrin = TensorIntrin.get(intrin_name)
    path = loop_path(func, loop_var)
    loop = path[-1]
    match(loop, intrin.desc)
    ann = dict(loop.annotations)
    ann[TENSORIZED_KEY] = intrin_name
    return replace_in_func(func, path, loop.replace(annotations=ann))
