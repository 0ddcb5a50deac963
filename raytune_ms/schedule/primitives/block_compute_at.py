"""compute_at and reverse_compute_at: move a block under a loop of its consumer (producer),
regenerating its loops to cover exactly the region needed (produced) in one iteration.

Region inference: the consumers' read regions (producers' write regions) of the shared buffer,
with block iterators replaced by their bindings and the loops below `loop` relaxed over their
ranges (for a fetch into a "shared" buffer, the threadIdx/vthread loops above it too: the
fetch serves every thread of the block), give a box whose lower ends are expressions of the
loops at or above `loop` and whose extents are constants. Each box side maps back to the
moved block's iterator that indexes that dimension (`v + c`), and the block's new loops run
over those sides; iterators no dimension pins keep their whole domain. Where the box can
exceed an iterator's domain, a predicate guards the block.

Legality: the moved block is complete (spatial, sole writer of its outputs) or a reduction with
its init; compute_at needs every consumer under `loop` and the block not to write a function
output; reverse_compute_at needs a producer under `loop` (the others must run before the loop),
may not split its own reduction iterators, and must still cover its whole domain over all
iterations. Inside the loop body it goes between its producers and consumers: `index` -1 is the
last such position, -2 the first, or an explicit child index. `compute_location_candidates` plans
compute_at at the enclosing loops worth drawing (what sample_compute_location draws from).
"""

from __future__ import annotations

from ... import tir
from ...tir import BlockRealize, For, IntImm, Range, Var
from ...tir.analysis import (
    RegionError,
    always_bounded,
    const_int,
    is_spatial_block,
    is_true,
    loop_ranges,
    relax_box,
    union_side,
    var_plus_const,
)
from ...tir.arith import bound, simplify
from ...tir.functor import used_vars
from ..error import ScheduleError
from ..tree import block_ids, block_path, enclosing_block, loop_path, loops_above
from .block_common import (
    insert_into_loop,
    is_param,
    read_buffers,
    remove_block,
    siblings,
    stmt_list,
    writes_buffer,
    written_buffers,
)
from .compute_location import worth_drawing
from .dependency import _consumers, _producers


def compute_at(func, block_name, loop_var, preserve_unit_loops=False, index=-1):
    """Move producer `block_name` under `loop_var` (a loop enclosing all its consumers)."""
    return _move(func, block_name, loop_var, preserve_unit_loops, index, reverse=False)


def reverse_compute_at(func, block_name, loop_var, preserve_unit_loops=False, index=-1):
    """Move consumer `block_name` under `loop_var` (a loop enclosing all its producers)."""
    return _move(func, block_name, loop_var, preserve_unit_loops, index, reverse=True)


def _move(func, block_name, loop_var, preserve, index, reverse):
    last = _CANDIDATES_OF[0]  # sample_compute_location analysed and planned this move just now
    if not reverse and last is not None and last[0] is func and last[1] == block_name:
        ctx = last[2]
    else:
        ctx = analyze(func, block_name, reverse)
    nest, pos = plan(ctx, loop_var, preserve, index)
    body = remove_block(func.body, ctx.bpath)
    return func.with_body(insert_into_loop(body, loop_var, nest, pos))


class _Context:
    """What a move of one block needs that does not depend on the target loop."""

    __slots__ = ("func", "prim", "reverse", "bpath", "scope", "blocks", "me", "prods", "cons", "accesses",
                 "planned", "inference_safe")


def analyze(func, block_name, reverse):
    """Loop-independent checks of moving `block_name` (ScheduleError if it cannot move)."""
    ctx = _Context()
    ctx.func, ctx.reverse = func, reverse
    ctx.accesses = {}  # the partners' access regions with their bindings substituted (plan fills it)
    ctx.planned = {}  # loop Var -> what a check_only plan found (a full plan there needs only the nest)
    ctx.inference_safe = False  # whether region inference succeeds at every loop (see _inference_safe)
    ctx.prim = prim = "reverse_compute_at" if reverse else "compute_at"
    ctx.bpath, ctx.scope, ctx.blocks = siblings(func, block_name)
    ctx.me = me = ctx.bpath[-1]
    _check_block_kind(prim, func, ctx.blocks, me)
    if not reverse:
        outs = [b.name for b in written_buffers(me.block) if is_param(func, b)]
        if outs:
            raise ScheduleError(f"{prim}: block {block_name!r} writes {outs}, output(s) of the "
                                "function; only part of it would be computed")
    ctx.prods, ctx.cons = _producers(ctx.blocks, me), _consumers(ctx.blocks, me)
    if not (ctx.prods if reverse else ctx.cons):
        role = "producers" if reverse else "consumers"
        raise ScheduleError(f"{prim}: block {block_name!r} has no {role} in its scope")
    return ctx


def plan(ctx, loop_var, preserve=False, index=-1, check_only=False):
    """(new loop nest of the block, its position among the loop's children) for moving the
    analysed block under `loop_var`, without changing the function. `check_only` stops after
    the checks (every ScheduleError the move can raise) and returns None: building the nest
    raises nothing, and sample_compute_location only asks whether the move succeeds."""
    func, prim, reverse, me = ctx.func, ctx.prim, ctx.reverse, ctx.me
    block = me.block
    name, lname = block.name, loop_var.name
    hit = None if check_only else ctx.planned.get(loop_var)
    if hit is not None:
        regions, fixed, held = hit
        pos = _position(prim, held, ctx.prods, ctx.cons, index, name, lname)
        return _build_nest(block, regions, fixed, preserve), pos
    lpath = loop_path(func, loop_var)
    loop = lpath[-1]
    if enclosing_block(lpath) is not ctx.scope:
        raise ScheduleError(f"{prim}: loop {lname!r} is not in the scope of block {name!r}")
    if loop in ctx.bpath:
        raise ScheduleError(
            f"{prim}: loop {lname!r} already encloses block {name!r} (it is one of its own loops)")
    kids = stmt_list(loop.body)
    held = [block_ids(k) for k in kids]  # the blocks under each child
    inside = set().union(*held)
    partners = ctx.prods if reverse else ctx.cons
    under = [p for p in partners if id(p) in inside]
    if reverse and not under:
        raise ScheduleError(
            f"{prim}: no producer of block {name!r} ({', '.join(p.block.name for p in partners)}) "
            f"is under loop {lname!r}")
    if not reverse and len(under) < len(partners):
        p = next(p for p in partners if id(p) not in inside)
        raise ScheduleError(
            f"{prim}: consumer {p.block.name!r} of block {name!r} is not under loop {lname!r}")
    _check_outside_order(ctx, inside, lname)
    if reverse:
        _check_final(prim, name, under, lpath)
    if check_only and ctx.inference_safe:  # the rest cannot fail here: only the position is left
        _position(prim, held, ctx.prods, ctx.cons, index, name, lname)
        return None
    fixed = loop_ranges([s for s in lpath if isinstance(s, For)])
    boxes = _partner_boxes(prim, func, me, under, loop, fixed, reverse, ctx.accesses)
    regions = _iter_regions(prim, block, boxes, fixed, reverse)
    pos = _position(prim, held, ctx.prods, ctx.cons, index, name, lname)
    if check_only:
        ctx.planned[loop_var] = (regions, fixed, held)
        return None
    return _build_nest(block, regions, fixed, preserve), pos


def _inference_safe(ctx) -> bool:
    """Whether compute_at's region inference and iterator mapping succeed at every loop that
    passes the cheap checks (so compute_location_candidates need not run them per loop): every
    consumer is under each such loop, so the regions are the same at all of them; what changes
    is which loops are relaxed, and that cannot make an interval unbounded when the regions
    hold only bounded arithmetic of loops with constant ranges. Mapping the box back to the
    block's iterators fails or not whatever the loop. Fills `ctx.accesses` as plan would."""
    block = ctx.me.block
    mine = written_buffers(block)
    var_ids = set()
    for c in ctx.cons:
        for s in block_path(ctx.func, c.block.name):
            if type(s) is For and type(s.min) is IntImm and type(s.extent) is IntImm:
                var_ids.add(id(s.loop_var))
    boxed = []
    for c in ctx.cons:
        for r in c.block.reads:
            if not any(r.buffer is b for b in mine):
                continue
            region = _bound_region(ctx.accesses, c, r)
            if not all(always_bounded(x.min, var_ids) and always_bounded(x.extent, var_ids) for x in region):
                return False
            boxed.append(r.buffer)
    ivs = {id(iv.var): iv for iv in block.iter_vars}
    for r in block.writes:
        if not any(r.buffer is b for b in boxed):
            continue
        for rng in r.region:
            if const_int(rng.min) is None and (const_int(rng.extent) != 1 or var_plus_const(rng.min, ivs) is None):
                return False
    return all(const_int(iv.dom.extent) is not None for iv in block.iter_vars)


def _check_final(prim, name, producers, lpath):
    """A producer whose reduction runs over `loop` or a loop around it has no final values
    inside one iteration."""
    around = {id(s.loop_var): s.loop_var.name for s in lpath if isinstance(s, For)}
    around_ids = set(around)
    for p in producers:
        for iv, value in zip(p.block.iter_vars, p.iter_values):
            hit = used_vars(value) & around_ids if iv.kind == "reduce" else ()
            if hit:
                raise ScheduleError(
                    f"{prim}: producer {p.block.name!r} of block {name!r} reduces over loop "
                    f"{around[next(iter(hit))]!r}, which encloses the target loop; its values "
                    "are not final inside it")


def _check_outside_order(ctx, inside, lname):
    """Producers outside the loop must run before it, consumers outside it after it."""
    order = [b for b in ctx.blocks if b is not ctx.me]
    at = [i for i, b in enumerate(order) if id(b) in inside]
    first, last = at[0], at[-1]
    for p in ctx.prods:
        if id(p) not in inside and order.index(p) > first:
            raise ScheduleError(f"{ctx.prim}: block {ctx.me.block.name!r} would run before its "
                                f"producer {p.block.name!r} (which comes after loop {lname!r})")
    for c in ctx.cons:
        if id(c) not in inside and order.index(c) < last:
            raise ScheduleError(f"{ctx.prim}: block {ctx.me.block.name!r} would run after its "
                                f"consumer {c.block.name!r} (which comes before loop {lname!r})")


def _check_block_kind(prim, func, blocks, me):
    block = me.block
    name = block.name
    if not block.writes:
        raise ScheduleError(f"{prim}: block {name!r} writes no buffer")
    if not is_spatial_block(block) and block.init is None:
        raise ScheduleError(
            f"{prim}: block {name!r} is a reduction without an init (after decompose_reduction); "
            "it must be a complete or reduction block")
    for buf in written_buffers(block):
        others = [b.block.name for b in blocks if b is not me and writes_buffer(b, buf)]
        if others:
            raise ScheduleError(f"{prim}: buffer {buf.name!r} of block {name!r} is also written by "
                                f"{others}; it must be the only writer in its scope")
        if is_spatial_block(block) and any(r.buffer is buf for r in block.reads):
            raise ScheduleError(f"{prim}: block {name!r} reads the buffer {buf.name!r} it writes")


def _bindings(realize):
    return {iv.var: v for iv, v in zip(realize.block.iter_vars, realize.iter_values)}


def _bound_region(accesses, realize, r) -> list:
    """The ranges of access region `r` of block `realize` with its bindings substituted, kept
    in `accesses` (they depend on neither the target loop nor the candidate being checked)."""
    region = accesses.get((id(realize), id(r)))
    if region is None:
        sub = _bindings(realize)
        region = accesses[id(realize), id(r)] = [Range(tir.substitute(x.min, sub), tir.substitute(x.extent, sub))
                                                 for x in r.region]
    return region


def _partner_boxes(prim, func, me, partners, loop, fixed, reverse, accesses) -> dict:
    """Buffer -> box needed (compute_at) / produced (reverse) per iteration of `loop`.
    `accesses` keeps each partner region with the partner's bindings substituted: it does not
    depend on the loop, and compute_location_candidates plans every candidate loop."""
    mine = read_buffers(me.block) if reverse else written_buffers(me.block)
    boxes = {}
    for p in partners:
        ppath = block_path(func, p.block.name)
        ploops = loops_above(ppath)
        q = next(i for i, f in enumerate(ploops) if f is loop)
        ranges = dict(fixed)
        ranges.update(loop_ranges(ploops[: q + 1]))
        relaxed = loop_ranges(ploops[q + 1:])
        threads = _thread_loops(ploops[: q + 1])
        regions = p.block.writes if reverse else p.block.reads
        for r in regions:
            if not any(r.buffer is b for b in mine):
                continue
            relax = {**relaxed, **threads} if not reverse and r.buffer.scope == "shared" else relaxed
            region = _bound_region(accesses, p, r)
            try:
                box = relax_box(region, relax, ranges)
            except RegionError as e:
                raise ScheduleError(
                    f"{prim}: the region of buffer {r.buffer.name!r} accessed by block "
                    f"{p.block.name!r} under loop {loop.loop_var.name!r}: {e}") from None
            if r.buffer in boxes:
                try:
                    box = [union_side(a, b, {**ranges, **relaxed}) for a, b in zip(boxes[r.buffer], box)]
                except RegionError as e:
                    raise ScheduleError(f"{prim}: buffer {r.buffer.name!r}: {e}") from None
            boxes[r.buffer] = box
    return boxes


def _thread_loops(loops) -> dict:
    """The threadIdx/vthread-bound loops among `loops`: a shared buffer serves every thread of
    a block, so a fetch into it covers what all of them read (the reference relaxes them)."""
    bound = [f for f in loops if f.kind == "thread_binding" and not f.thread_tag.startswith("blockIdx")]
    return loop_ranges(bound) if bound else {}


def _iter_regions(prim, block, boxes, ranges, reverse) -> list:
    """For each iterator of `block`: (min expr, extent) it must cover, from the boxes."""
    ivs = {id(iv.var): iv for iv in block.iter_vars}
    need = {}
    accesses = block.reads if reverse else block.writes
    for r in accesses:
        box = boxes.get(r.buffer)
        if box is None:
            continue
        for d, (rng, side) in enumerate(zip(r.region, box)):
            if const_int(rng.min) is not None:
                continue
            hit = var_plus_const(rng.min, ivs) if const_int(rng.extent) == 1 else None
            if hit is None:
                raise ScheduleError(
                    f"{prim}: block {block.name!r} accesses dimension {d} of buffer "
                    f"{r.buffer.name!r} as {tir.script(rng)}; only `iterator + constant` with "
                    "extent 1 can be mapped back to the block's iterators")
            var, c = hit
            side = (simplify(tir.sub(side[0], c), ranges), side[1])
            if id(var) in need and not _same_side(need[id(var)], side, ranges):
                if reverse:
                    raise ScheduleError(
                        f"{prim}: block {block.name!r} reads the produced buffers at different "
                        f"offsets along iterator {var.name!r}")
                side = union_side(need[id(var)], side, ranges)
            need[id(var)] = side
    out = []
    for iv in block.iter_vars:
        dom_min, dom_ext = iv.dom.min, const_int(iv.dom.extent)
        if dom_ext is None:
            raise ScheduleError(f"{prim}: block {block.name!r} iterator {iv.var.name!r} has a "
                                "non-constant domain")
        side = need.get(id(iv.var))
        if side is None or (not reverse and side[1] >= dom_ext) or \
                (reverse and _always_covers(side, iv.dom, ranges)):
            # a producer may compute its whole domain; a consumer only what is produced
            out.append((dom_min, dom_ext, True))
            continue
        if reverse and iv.kind == "reduce":
            raise ScheduleError(
                f"{prim}: block {block.name!r} would compute only part of its reduction "
                f"iterator {iv.var.name!r} per iteration")
        if reverse:
            _check_covered(prim, block, iv, side, ranges)
        out.append((side[0], side[1], False))
    return out


def _always_covers(side, dom, ranges) -> bool:
    lo, hi = bound(side[0], ranges)
    dmin, dext = const_int(dom.min), const_int(dom.extent)
    return None not in (lo, hi, dmin) and hi <= dmin and lo + side[1] >= dmin + dext


def _check_covered(prim, block, iv, side, ranges):
    """Over all iterations of the loops, the consumer's sides must cover its whole domain (a
    padding consumer also writes points that read nothing produced)."""
    lo, hi = bound(side[0], ranges)
    dmin, dext = const_int(iv.dom.min), const_int(iv.dom.extent)
    if lo is None or hi is None or dmin is None or lo > dmin or hi + side[1] < dmin + dext:
        got = "an unbounded range" if lo is None or hi is None else f"[{lo}, {hi + side[1]})"
        raise ScheduleError(
            f"{prim}: block {block.name!r} would compute its iterator {iv.var.name!r} only over "
            f"{got}, not its whole domain [{dmin}, {dmin + dext}) (it writes points that read "
            "nothing the producers make, e.g. padding)")


def _same_side(a, b, ranges) -> bool:
    return a[1] == b[1] and const_int(simplify(tir.sub(a[0], b[0]), ranges)) == 0


def _build_nest(block, regions, ranges, preserve):
    values, loops, conds = [], [], []
    scope_ranges = dict(ranges)
    for n, (_iv, (lo, ext, _full)) in enumerate(zip(block.iter_vars, regions)):
        if ext == 1 and not preserve:
            values.append(lo)
            continue
        v = Var(f"ax{n}")
        loops.append((v, ext))
        scope_ranges[v] = Range(0, ext)
        values.append(simplify(tir.add(lo, v), scope_ranges))
    for iv, value, (_lo, _ext, full) in zip(block.iter_vars, values, regions):
        if full:
            continue
        dmin, dend = iv.dom.min, tir.add(iv.dom.min, iv.dom.extent)
        for cond in (value >= dmin, value < dend):
            cond = simplify(cond, scope_ranges)
            if not is_true(cond):  # (not provable: kept as simplified)
                conds.append(cond)
    nest = BlockRealize(values, tir.all_of(*conds), block)
    for v, ext in reversed(loops):
        nest = For(v, 0, ext, "serial", nest)
    return nest


def _position(prim, held, prods, cons, index, block_name, lname) -> int:
    """Where the block goes among the loop's children (`held`: ids of the blocks under each)."""
    prod_at = [i for i, ids in enumerate(held) if any(id(p) in ids for p in prods)]
    cons_at = [i for i, ids in enumerate(held) if any(id(c) in ids for c in cons)]
    lo = prod_at[-1] + 1 if prod_at else 0
    hi = cons_at[0] if cons_at else len(held)
    if lo > hi:
        raise ScheduleError(
            f"{prim}: under loop {lname!r} a consumer of block {block_name!r} runs before one of "
            "its producers; there is no valid place for it")
    if index == -1:
        return hi
    if index == -2:
        return lo
    if not isinstance(index, int) or not lo <= index <= hi:
        raise ScheduleError(
            f"{prim}: index {index!r} for block {block_name!r} under loop {lname!r} must be -1, "
            f"-2 or in [{lo}, {hi}]")
    return index


def compute_location_candidates(func, block_name) -> list:
    """Loop Vars (outermost first) under which `compute_at(func, block_name, loop)` succeeds:
    of the loops enclosing every consumer of the block, those worth drawing
    (compute_location.py) that pass compute_at's checks and region inference (planned, not
    applied)."""
    try:
        ctx = analyze(func, block_name, reverse=False)
    except ScheduleError:
        return []
    common = None
    for c in ctx.cons:
        loops = loops_above(block_path(func, c.block.name))
        n = 0
        while common is not None and n < min(len(common), len(loops)) and common[n] is loops[n]:
            n += 1
        common = loops if common is None else common[:n]
    out = []
    ctx.inference_safe = _inference_safe(ctx)
    for f in worth_drawing(common, ctx.me, ctx.cons):
        try:
            plan(ctx, f.loop_var, check_only=True)
        except ScheduleError:
            continue
        out.append(f.loop_var)
    _CANDIDATES_OF[0] = (func, block_name, ctx)
    return out


# (function, block name, analysed _Context) of the last compute_location_candidates: the
# compute_at that follows a sample_compute_location moves that block in that same function
_CANDIDATES_OF: list = [None]
