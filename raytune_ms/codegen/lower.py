"""Lowering a PrimFunc to a loop program that C can express directly.

- Blocks disappear: their iterators are replaced by the iter values, the realize predicate
  becomes an `if`, and a reduction `init` runs under `if (every reduce iter value is at its
  domain minimum)` (unconditionally for a block without reduce iterators).
- Every buffer a block allocates is placed at the innermost loop body that encloses all its
  accesses (never inside a vectorized loop), so a cache tile under compute_at is allocated per
  tile. Accesses of a reduction block to the buffers it writes count at the loop just outside
  its reduction loops: the accumulator must live across them.
- `pragma_auto_unroll_max_step` loop annotations (as the unroll postprocessor writes them) turn
  small serial loops below the annotated loop into unrolled loops.

`lower` adds buffer compaction (compact.py). The result is a `LoweredFunc` (lowered.py) whose
body holds only For, SeqStmt, IfThenElse, BufferStore,
Evaluate and `Allocate` statements.
"""

from __future__ import annotations

from ..tir import (
    Block,
    BlockRealize,
    Buffer,
    BufferLoad,
    BufferStore,
    Evaluate,
    For,
    IfThenElse,
    PrimFunc,
    SeqStmt,
    Stmt,
    all_of,
    collect_each,
    eq,
    seq,
    substitute,
)
from ..tir.analysis import is_true
from ..tir.expr import IntImm
from ..tir.functor import index_arith, used_buffers, used_vars
from .compact import compact_buffers
from .lowered import Allocate, LoweredFunc


class _AllocScope(Stmt):
    """Placeholder for a block's alloc_buffers until their position is decided."""

    __slots__ = ("buffers", "body")
    _fields = ("buffers", "body")

    def __init__(self, buffers, body):
        self.buffers = tuple(buffers)
        self.body = body

    def __repr__(self):
        return f"_AllocScope({[b.name for b in self.buffers]})"


class LoweringError(ValueError):
    """The program cannot be lowered (the message names the buffer or block)."""


_DIRECT: dict = {}  # id(block) -> (block, _direct_stores of it): blocks outlive many candidates
_DIRECT_CAP = 4096


def _direct_stores(block: Block) -> frozenset:
    """ids of buffers stored by the block itself (not by blocks nested in it), memoised per
    block (a split or a reorder rebuilds the loops and bindings around a block, not the block)."""
    hit = _DIRECT.get(id(block))
    if hit is None or hit[0] is not block:
        if len(_DIRECT) >= _DIRECT_CAP:
            _DIRECT.clear()
        hit = _DIRECT[id(block)] = (block, frozenset(_walk_direct_stores(block)))
    return hit[1]


def _walk_direct_stores(block: Block) -> set:
    out = set()

    def fn(n):
        if isinstance(n, BlockRealize) or not isinstance(n, Stmt):  # no store below an expression
            return False
        if isinstance(n, BufferStore):
            out.add(id(n.buffer))
            return False
        return None

    from ..tir import pre_order_visit

    for part in (block.body, block.init):
        if part is not None:
            pre_order_visit(part, fn)
    return out


class _BlockLowerer:
    def __init__(self):
        self.accesses: dict = {}  # id(buffer) -> list of loop-var paths
        self.kinds: dict = {}  # id(loop var) -> For kind
        self.ctx = (frozenset(), None)  # (buffers written by the current block, their path)
        self.env_buffers: frozenset = frozenset()  # ids of the buffers the bindings in scope load
        self.bound_buffers: set = set()  # ids of the buffers loop bounds load
        self.allocated: set = set()  # ids of the buffers _place allocates
        self.unroll_paths: set = set()  # ids of the loop vars of unroll-annotated loops and those around them

    def record_id(self, key, path):
        written, short = self.ctx
        self.accesses.setdefault(key, []).append(short if key in written else path)

    def record_expr(self, e, path, original=None):
        """Record the buffers `e` loads; `original` is `e` before substituting the block
        bindings: it loads the same buffers when no binding loads one, and its memoised
        answer is shared by every candidate that kept the block's statements."""
        src = original if original is not None and not self.env_buffers else e
        for key in used_buffers(src):
            self.record_id(key, path)

    def visit(self, s, env, path):
        if isinstance(s, BlockRealize):
            return self.block(s, env, path)
        if isinstance(s, Block):
            return self.block(BlockRealize([iv.var for iv in s.iter_vars], None, s), env, path)
        if isinstance(s, For):
            self.kinds[id(s.loop_var)] = s.kind
            if s.annotations and s.annotation(UNROLL_STEP_KEY) is not None:
                self.unroll_paths.update(id(v) for v in path + (s.loop_var,))
            body = self.visit(s.body, env, path + (s.loop_var,))
            if type(s.min) is IntImm and type(s.extent) is IntImm:  # (constants load nothing)
                return s.with_field("body", body)
            bounds = [b if type(b) is IntImm else substitute(b, env) for b in (s.min, s.extent)]
            for b in bounds:
                self.bound_buffers.update(used_buffers(b))
            return s.replace(min=bounds[0], extent=bounds[1], body=body)
        if isinstance(s, SeqStmt):
            return seq(*[self.visit(x, env, path) for x in s.seq])
        if isinstance(s, BufferStore):
            original = s
            s = substitute(s, env)
            self.record_id(id(s.buffer), path)
            self.record_expr(s.value, path, original.value)
            for i, o in zip(s.indices, original.indices):
                self.record_expr(i, path, o)
            return s
        if isinstance(s, IfThenElse):
            cond = substitute(s.condition, env)
            self.record_expr(cond, path, s.condition)
            then = self.visit(s.then_case, env, path)
            other = None if s.else_case is None else self.visit(s.else_case, env, path)
            return IfThenElse(cond, then, other)
        if isinstance(s, Evaluate):
            original = s
            s = substitute(s, env)
            self.record_expr(s.value, path, original.value)
            return s
        raise LoweringError(f"cannot lower statement of type {type(s).__name__}")

    def block(self, realize: BlockRealize, env, path):
        block = realize.block
        values = [substitute(v, env) for v in realize.iter_values]
        inner_env = dict(env)
        for iv, v in zip(block.iter_vars, values):
            inner_env[iv.var] = v
        predicate = substitute(realize.predicate, env)
        self.record_expr(predicate, path, realize.predicate)
        reduce_pairs = [(iv, v) for iv, v in zip(block.iter_vars, values) if iv.kind == "reduce"]
        reduce_vars = set()
        for _, v in reduce_pairs:
            reduce_vars |= used_vars(v)
        short = path
        for i, lv in enumerate(path):
            if id(lv) in reduce_vars:
                short = path[:i]
                break
        saved = self.ctx, self.env_buffers
        # the written buffers matter only where the short path differs from the path
        self.ctx = (_direct_stores(block) if short is not path else frozenset(), short)
        # what the substituted values load is what the written ones load plus what the env
        # loads: the union from the written values, of those that may load at all
        self.env_buffers = self.env_buffers.union(
            *[used_buffers(v) for v in realize.iter_values if not index_arith(v)])
        parts = []
        if block.init is not None:
            init = self.visit(block.init, inner_env, path)
            guard = all_of(*[eq(v, substitute(iv.dom.min, env)) for iv, v in reduce_pairs])
            parts.append(init if is_true(guard) else IfThenElse(guard, init))
        parts.append(self.visit(block.body, inner_env, path))
        self.ctx, self.env_buffers = saved
        out = seq(*parts)
        if block.alloc_buffers:
            out = _AllocScope(block.alloc_buffers, out)
        if not is_true(predicate):
            out = IfThenElse(predicate, out)
        return out


def _common_prefix(paths):
    first = paths[0]
    n = len(first)
    for p in paths[1:]:
        m = 0
        while m < min(n, len(p)) and p[m] is first[m]:
            m += 1
        n = m
    return first[:n]


def _place(s, lw: _BlockLowerer, path, pending):
    """Replace _AllocScope placeholders by Allocate nodes at each buffer's position."""
    if isinstance(s, _AllocScope):
        here = []
        for b in s.buffers:
            paths = lw.accesses.get(id(b))
            if not paths:
                continue  # never accessed: nothing to allocate
            lca = _common_prefix(paths)
            if len(lca) < len(path) or any(a is not b_ for a, b_ in zip(lca, path)):
                lca = path
            while len(lca) > len(path) and lw.kinds.get(id(lca[-1])) == "vectorized":
                lca = lca[:-1]
            if len(lca) == len(path):
                here.append(b)
            else:
                pending.setdefault(id(lca[-1]), []).append(b)
        body = _place(s.body, lw, path, pending)
        for b in reversed(here):
            body = Allocate(b, body)
            lw.allocated.add(id(b))
        return body
    if isinstance(s, For):
        body = _place(s.body, lw, path + (s.loop_var,), pending)
        for b in reversed(pending.pop(id(s.loop_var), [])):
            body = Allocate(b, body)
            lw.allocated.add(id(b))
        return s.replace(body=body) if body is not s.body else s
    if isinstance(s, SeqStmt):
        return seq(*[_place(x, lw, path, pending) for x in s.seq])
    if isinstance(s, IfThenElse):
        then = _place(s.then_case, lw, path, pending)
        other = None if s.else_case is None else _place(s.else_case, lw, path, pending)
        return IfThenElse(s.condition, then, other)
    return s


# ---------------------------------------------------------------------------- auto unroll

UNROLL_STEP_KEY = "pragma_auto_unroll_max_step"
UNROLL_EXPLICIT_KEY = "pragma_unroll_explicit"
IMPLICIT_UNROLL = "rt.unroll_implicit"  # on an unrolled loop: a #pragma, not a copy per value


def _steps(s, memo: dict) -> float:
    """Leaf statements executed by `s` (inf for loops of unknown extent). memo: id(node) ->
    (node, steps) of the pass (nested loops under an unroll annotation each ask for their
    subtree)."""
    hit = memo.get(id(s))
    if hit is not None and hit[0] is s:
        return hit[1]
    if isinstance(s, For):
        ext = s.extent.value if isinstance(s.extent, IntImm) else None
        out = float("inf") if ext is None else ext * _steps(s.body, memo)
    elif isinstance(s, SeqStmt):
        out = sum(_steps(x, memo) for x in s.seq)
    elif isinstance(s, IfThenElse):
        out = _steps(s.then_case, memo) + (0 if s.else_case is None else _steps(s.else_case, memo))
    elif isinstance(s, Allocate):
        out = _steps(s.body, memo)
    else:
        return 1
    memo[id(s)] = (s, out)
    return out


def _auto_unroll(s, paths, max_step=0, explicit=True, memo=None):
    """`s` with the loops below `pragma_auto_unroll_max_step` annotations unrolled; `paths`:
    the ids of the variables of the annotated loops and of the loops around them (nothing
    changes elsewhere outside an annotated loop)."""
    memo = {} if memo is None else memo
    if isinstance(s, For):
        if max_step == 0 and id(s.loop_var) not in paths:
            return s
        step = s.annotation(UNROLL_STEP_KEY)
        if step is not None:
            max_step = int(step)
            explicit = bool(int(s.annotation(UNROLL_EXPLICIT_KEY, 1)))
        body = _auto_unroll(s.body, paths, max_step, explicit, memo)
        out = s.replace(body=body) if body is not s.body else s
        if max_step > 0 and out.kind == "serial" and _steps(out, memo) <= max_step:
            ann = dict(out.annotations)
            if not explicit:
                ann[IMPLICIT_UNROLL] = 1
            out = out.replace(kind="unrolled", annotations=tuple(sorted(ann.items())))
        return out
    if isinstance(s, SeqStmt):
        items = [_auto_unroll(x, paths, max_step, explicit, memo) for x in s.seq]
        if len(items) > 1 and all(a is b for a, b in zip(items, s.seq)):
            return s  # nothing below changed (most of a program without unroll annotations)
        return seq(*items)
    if isinstance(s, IfThenElse):
        then = _auto_unroll(s.then_case, paths, max_step, explicit, memo)
        other = None if s.else_case is None else _auto_unroll(s.else_case, paths, max_step, explicit, memo)
        return s if then is s.then_case and other is s.else_case else IfThenElse(s.condition, then, other)
    if isinstance(s, Allocate):
        body = _auto_unroll(s.body, paths, max_step, explicit, memo)
        return s if body is s.body else Allocate(s.buffer, body)
    return s


# ---------------------------------------------------------------------------- entry


def _check_buffers(func: PrimFunc, body, accessed, allocated) -> None:
    """Every accessed buffer is a parameter or allocated. `accessed`: the ids of the buffers
    lowering saw accessed (every load and store of `body`), `allocated`: those of its Allocate
    statements; the walk that names the buffer runs only when one is unknown."""
    known = {id(b) for b in func.params} | allocated
    if known.issuperset(accessed):
        return
    loads, stores = collect_each(body, (BufferLoad, BufferStore))
    for n in loads + stores:
        if id(n.buffer) not in known:
            raise LoweringError(
                f"function {func.name!r}: buffer {n.buffer.name!r} is accessed but is neither a "
                "parameter nor allocated by an enclosing block")


def lower_blocks(func: PrimFunc) -> LoweredFunc:
    """Blocks to loops and allocation placement (see the module docstring)."""
    for p in func.params:
        if not isinstance(p, Buffer):
            raise LoweringError(f"function {func.name!r}: parameter {p!r} is not a Buffer")
        if p.strides and p.strides != _dense(p.shape):
            raise LoweringError(
                f"function {func.name!r}: parameter {p.name!r} has padded strides {p.strides}; "
                "parameters must be dense row-major arrays")
    lw = _BlockLowerer()
    body = lw.visit(func.body, {}, ())
    pending: dict = {}
    body = _place(body, lw, (), pending)
    body = _auto_unroll(body, lw.unroll_paths)
    _check_buffers(func, body, set(lw.accesses) | lw.bound_buffers, lw.allocated)
    return LoweredFunc(func.name, func.params, body)


def _dense(shape):
    out, acc = [], 1
    for s in reversed(shape):
        out.append(acc)
        acc *= s
    return tuple(reversed(out))


def lower(func: PrimFunc) -> LoweredFunc:
    """The lowered loop program of `func` (blocks gone, buffers placed and compacted): what
    every back end prints and what program features are read from."""
    lowered = lower_blocks(func)
    lowered.body = compact_buffers(lowered.body)
    return lowered
