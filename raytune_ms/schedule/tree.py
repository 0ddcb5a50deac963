"""Locating and replacing statements in an immutable PrimFunc.

Blocks are found by name (unique in a function) and loops by their loop variable (a Var keeps
its identity when the For around it is rebuilt), so random variables survive rewrites. A path
is the list of statements from the function body down to a node; replacing a node rebuilds only
the statements on its path.
"""

from __future__ import annotations

from ..tir import Block, BlockRealize, BufferStore, Evaluate, For, IfThenElse, PrimFunc, SeqStmt, seq
from ..tir.functor import id_set, memo_union
from .error import ScheduleError

LEAF_STMTS = (BufferStore, Evaluate)  # statements with no child statements


def stmt_children(s) -> list:
    """Direct child statements of `s`, in program order (classes matched exactly: none is
    subclassed)."""
    t = type(s)
    if t is For:
        return [s.body]
    if t is BlockRealize:
        return [s.block]
    if t is Block:
        return [s.body] if s.init is None else [s.init, s.body]
    if t is SeqStmt:
        return list(s.seq)
    if t is IfThenElse:
        return [s.then_case] if s.else_case is None else [s.then_case, s.else_case]
    return []


def find_path(root, pred) -> list | None:
    """Statements from `root` down to the first (pre-order) statement satisfying `pred`."""
    path: list = []
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        del path[depth:]
        path.append(node)
        if pred(node):
            return path
        kids = stmt_children(node)
        if kids:
            d = depth + 1
            for child in reversed(kids):
                stack.append((child, d))
    return None


_INDEX: dict = {}
_INDEX_CAP = 64


def _index_entry(root) -> list:
    """[root, blocks: name -> link, loops: loop Var -> link, stack of the walk still to do] of
    a statement tree, cached per tree (trees are immutable; a primitive usually looks up several
    names in the same version of a function). The index is filled in pre-order and only as far
    as a lookup needs (`_walk_until`): most lookups after a step find their block or loop before
    the end of the tree. A link is (stmt, parent link), see `_unlink`."""
    hit = _INDEX.get(id(root))
    if hit is not None and hit[0] is root:
        return hit
    if len(_INDEX) >= _INDEX_CAP:
        _INDEX.clear()
    entry = _INDEX[id(root)] = [root, {}, {}, [(root, None)]]
    return entry


def _walk_until(entry, table: int, key):
    """Continue `entry`'s walk until `key` is in its table 1 (blocks) or 2 (loops), or to the
    end (key None); returns the key's link or None."""
    blocks, loops, stack = entry[1], entry[2], entry[3]
    pop, push = stack.pop, stack.append
    while stack:
        node, parent = pop()
        link = (node, parent)
        t = type(node)  # the common statement kinds inline (stmt_children's order), others generic
        if t is For:
            var = node.loop_var
            if var not in loops:
                loops[var] = link
            push((node.body, link))
            if table == 2 and var is key:
                return link
        elif t is BlockRealize:
            name = node.block.name
            if name not in blocks:
                blocks[name] = link
            push((node.block, link))
            if table == 1 and name == key:
                return link
        elif t is Block:
            push((node.body, link))
            if node.init is not None:
                push((node.init, link))
        elif t is SeqStmt:
            for child in reversed(node.seq):
                push((child, link))
        elif t is not BufferStore:
            if isinstance(node, BlockRealize):
                blocks.setdefault(node.block.name, link)
            elif isinstance(node, For):
                loops.setdefault(node.loop_var, link)
            for child in reversed(stmt_children(node)):
                push((child, link))
            if key is not None and key in entry[table]:
                return entry[table][key]
    return None if key is None else entry[table].get(key)


def _lookup(root, table: int, key):
    """The link of block name / loop Var `key` in the tree at `root` (the first in pre-order),
    or None."""
    entry = _index_entry(root)
    link = entry[table].get(key)
    if link is None and entry[3]:
        link = _walk_until(entry, table, key)
    return link


def _unlink(link) -> list:
    path = []
    while link is not None:
        path.append(link[0])
        link = link[1]
    path.reverse()
    return path


def block_path(func: PrimFunc, name: str) -> list:
    """Path to the BlockRealize of block `name` (ScheduleError if absent)."""
    body = func.body
    if type(body) is BlockRealize and body.block.name == name:  # the root: no walk needed
        return [body]
    link = _lookup(body, 1, name)
    if link is None:
        raise ScheduleError(f"no block named {name!r} in function {func.name!r}")
    return _unlink(link)


def named_blocks(func: PrimFunc) -> list:
    """The BlockRealize of every block name in the function (from the cached index)."""
    entry = _index_entry(func.body)
    if entry[3]:
        _walk_until(entry, 1, None)
    return [link[0] for link in entry[1].values()]


def leaf_blocks(func: PrimFunc) -> list:
    """The BlockRealizes of the function that hold no other block, in program order: what
    `[b for b in blocks_in(func.body) if not child_blocks(b)]` gives, from the cached index and
    the memoised block_ids instead of two walks of the whole function."""
    return [r for r in named_blocks(func) if not block_ids(r.block)]


def loop_path(func: PrimFunc, loop_var) -> list:
    """Path to the For whose loop variable is `loop_var` (ScheduleError if absent)."""
    link = _lookup(func.body, 2, loop_var)
    if link is None:
        raise ScheduleError(f"loop {loop_var.name!r} no longer exists in function {func.name!r}")
    return _unlink(link)


def _replace_child(parent, old, new):
    """`parent` with its child statement `old` replaced by `new` (None removes it). Statement
    classes are matched exactly (none is subclassed), most common first."""
    t = type(parent)
    if t is For:
        return parent.with_field("body", new)
    if t is BlockRealize:
        if type(new) is Block and len(new.iter_vars) == len(parent.iter_values):
            return parent.with_field("block", new)  # what the constructor would store
        return parent.replace(block=new)  # (which names the mismatch)
    if t is Block:
        if parent.init is old:
            return parent.with_field("init", new)
        return parent.with_field("body", new)
    if t is SeqStmt:
        items = []
        for s in parent.seq:
            items.append(new if s is old else s)
        return seq(*items)
    if t is IfThenElse:
        if parent.then_case is old:
            return parent.replace(then_case=new)
        return parent.replace(else_case=new)
    raise TypeError(f"{type(parent).__name__} has no child statements")


def replace_path(path: list, new):
    """Replace the last statement of `path` by `new`; returns the new root."""
    cur = new
    for i in range(len(path) - 1, 0, -1):
        cur = _replace_child(path[i - 1], path[i], cur)
    return cur


def replace_in_func(func: PrimFunc, path: list, new) -> PrimFunc:
    return func.with_body(replace_path(path, new))


def loops_above(path: list) -> list:
    """The For statements between the innermost enclosing block and the end of `path`,
    outermost first (what get_loops returns)."""
    loops = []
    for i in range(len(path) - 2, -1, -1):  # (from the end: only the loops below the block are met)
        s = path[i]
        t = type(s)
        if t is For:
            loops.append(s)
        elif t is BlockRealize or t is Block:
            break
    loops.reverse()
    return loops


def blocks_in(stmt) -> list:
    """Every BlockRealize under `stmt` (inclusive), in program order."""
    out = []
    stack = [stmt]
    while stack:
        s = stack.pop()
        if isinstance(s, BlockRealize):
            out.append(s)
        stack.extend(reversed(stmt_children(s)))
    return out


_BLOCK_IDS: dict = {}  # id(statement) -> (statement, ids of the BlockRealizes in it)

# ids of the BlockRealizes in a statement (inclusive; what `blocks_in` finds), memoised per
# statement: most of a program is unchanged from one schedule step to the next, and the
# primitives ask which of a loop's (or scope's) children hold which blocks
block_ids = memo_union("block_ids", "ids of the BlockRealizes in `stmt` (inclusive).",
                       _BLOCK_IDS, LEAF_STMTS, BlockRealize, id_set, stmt_children)


def child_blocks(stmt) -> list:
    """BlockRealizes directly under `stmt` (not inside another block). (Loops and sequences,
    most of what lies between a scope and its blocks, are opened inline: block primitives ask
    this of the root scope on every step.)"""
    out = []
    stack = list(reversed(stmt_children(stmt.block if isinstance(stmt, BlockRealize) else stmt)))
    pop, push = stack.pop, stack.append
    while stack:
        s = pop()
        t = type(s)
        if t is For:
            push(s.body)
        elif t is BlockRealize:
            out.append(s)
        elif t is SeqStmt:
            stack.extend(reversed(s.seq))
        else:
            stack.extend(reversed(stmt_children(s)))
    return out


def enclosing_block(path: list):
    """The innermost BlockRealize strictly above the end of `path` (the scope block)."""
    for s in reversed(path[:-1]):
        if isinstance(s, BlockRealize):
            return s
    return None
