"""What the schedule rules ask about a block of a schedule: where it sits, its loops and
bindings, its producers and consumers, and the access patterns that decide inlining and
tiling. Read-only: nothing here changes the schedule or its trace."""

from __future__ import annotations

from ..schedule.primitives import dependency
from ..schedule.primitives.block_common import is_param
from ..schedule.tree import block_path, enclosing_block, loops_above
from ..tir import Block, BufferLoad, Call, IfThenElse, IntImm, Select, Var, collect
from ..tir.analysis import is_true, var_plus_const

TILING_KEY = "meta_schedule.tiling_structure"
RANDOM_COMPUTE_PRODUCER = "meta_schedule.random_compute_producer"
CUSTOM_RULE_KEY = "schedule_rule"


class BlockInfo:
    """A block of a schedule's working function: its realize, the path to it and its loops."""

    __slots__ = ("func", "path", "realize", "block", "loops")

    def __init__(self, sch, block_rv):
        self.func = sch.mod[sch.func_working_on]
        name = sch.get(block_rv).name
        self.path = block_path(self.func, name)
        self.realize = self.path[-1]
        self.block = self.realize.block
        self.loops = loops_above(self.path)

    @property
    def name(self) -> str:
        return self.block.name

    @property
    def is_root(self) -> bool:
        return enclosing_block(self.path) is None

    @property
    def parent_is_root(self) -> bool:
        parent = enclosing_block(self.path)
        return parent is not None and enclosing_block(block_path(self.func, parent.block.name)) is None

    def kinds(self) -> list:
        return [iv.kind for iv in self.block.iter_vars]

    def extents(self) -> list:
        return [f.extent.value if isinstance(f.extent, IntImm) else None for f in self.loops]

    def trivial_binding(self) -> bool:
        """Block iterator k is bound to loop k itself (loops starting at 0), one to one."""
        if len(self.loops) != len(self.block.iter_vars):
            return False
        return all(v is f.loop_var and isinstance(f.min, IntImm) and f.min.value == 0
                   for v, f in zip(self.realize.iter_values, self.loops))

    def is_output(self) -> bool:
        return any(is_param(self.func, r.buffer) for r in self.block.writes)

    def producers(self) -> list:
        return dependency.producers(self.func, self.name)

    def consumers(self) -> list:
        return dependency.consumers(self.func, self.name)

    def annotation(self, key, default=None):
        return self.block.annotation(key, default)


def all_blocks(func) -> list:
    return [b for b in collect(func.body, Block) if b.name != "root"]


def is_spatial_func(func) -> bool:
    """Every block of the function has only spatial iterators."""
    return all(iv.kind == "spatial" for b in all_blocks(func) for iv in b.iter_vars)


def has_branch(info: BlockInfo) -> bool:
    """A predicate, IfThenElse, Select or if_then_else call in the block."""
    if not is_true(info.realize.predicate):
        return True
    body = info.block.body
    return bool(collect(body, IfThenElse) or collect(body, Select)
                or any(c.op == "if_then_else" for c in collect(body, Call)))


def uses_op(block, ops) -> bool:
    return any(c.op in ops for c in collect(block.body, Call))


def _write_vars(block):
    """The write's indices as block variables with constant extents, else None."""
    if len(block.writes) != 1:
        return None
    ivs = {id(iv.var): iv for iv in block.iter_vars}
    out = []
    for r in block.writes[0].region:
        v = r.min
        if not isinstance(v, Var) or id(v) not in ivs or not isinstance(ivs[id(v)].dom.extent, IntImm):
            return None
        out.append(v)
    return out


def injective_ordered(block) -> tuple:
    """(injective, ordered) of every read of `block` onto its write: each read index is a
    constant or a write variable plus a constant, no variable used twice in one read
    (injective), and the variables appear in the write's dimension order (ordered)."""
    wvars = _write_vars(block)
    if wvars is None:
        return False, False
    position = {id(v): k for k, v in enumerate(wvars)}
    injective = ordered = True
    loads = [ld for ld in collect(block.body, BufferLoad)]
    for ld in loads:
        if ld.buffer is block.writes[0].buffer:
            continue
        seen = []
        for idx in ld.indices:
            if isinstance(idx, IntImm):
                continue
            vc = var_plus_const(idx, position)
            if vc is None:
                return False, False
            seen.append(position[id(vc[0])])
        if len(set(seen)) != len(seen):
            injective = False
        if seen != sorted(seen):
            ordered = False
    return injective, ordered


def has_reuse(info: BlockInfo) -> bool:
    """Some non-unit spatial iterator is missing from the indices of some input (the output is
    excluded): tiling can reuse that input across it."""
    spatial = [iv.var for iv in info.block.iter_vars
               if iv.kind == "spatial" and not (isinstance(iv.dom.extent, IntImm) and iv.dom.extent.value == 1)]
    written = {id(r.buffer) for r in info.block.writes}
    for r in info.block.reads:
        if id(r.buffer) in written:
            continue
        used = set()
        for rng in r.region:
            used.update(id(v) for v in collect(rng.min, Var))
        if any(id(v) not in used for v in spatial):
            return True
    return False


def needs_multi_level_tiling(info: BlockInfo) -> bool:
    """The reference's condition for tiling a block (see MultiLevelTiling)."""
    block = info.block
    if info.annotation(TILING_KEY) is not None or len(block.writes) != 1 or not block.reads:
        return False
    if all(iv.kind == "spatial" for iv in block.iter_vars) or not info.trivial_binding():
        return False
    names = [id(r.buffer) for r in block.reads]
    if len(set(names)) != len(names):
        return False
    for r in block.reads:
        if not all(isinstance(rng.extent, IntImm) for rng in r.region):
            return False
    return has_reuse(info)
