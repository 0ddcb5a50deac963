"""RewriteLayout: store each constant weight in the order its consumer's loop nest reads it.

Only parameters named in the function attribute `layout_free_buffers` (indices) qualify, as in
the reference. For such a weight read by exactly one block of the root scope, the new layout is
derived from that block's loops after tiling: the weight's row-major flat index, written in the
loop variables, is a sum of `coef * loop`; each loop that moves through the weight becomes a
dimension `(flat // coef) % extent`, in loop-nest order, so the innermost loops walk the new
array contiguously. The rewrite is a `cache_read` into a global buffer annotated
`meta_schedule.layout_rewrite_preproc` and a `transform_layout` of that buffer, all recorded in
the trace; `tir.layout_rewrite.split_layout_rewrite` then lifts the copy out of the program so it
runs once, ahead of time, on the constant.

A weight read only by a run-time pack (MultiLevelTiling's panel: a cache_read copy, maybe
re-laid out, computed at the panel loop, feeding one block) is pre-packed instead: the copy is
inlined into its consumer (recorded as compute_inline) and the weight laid out, as above, in
that consumer's loop order, which stores it panel after panel with the register tile's columns
innermost; the kernel then reads it with no copy stage. A pack that only copied the weight in
its own order (one panel as wide as the output) is just inlined. The pack stays when the
layout cannot be derived. A loop fused from several (the parallel loop) is read as the loops
it fused: its variable's floor divisions and moduli give the digits.

A weight whose reads do not decompose that way (several readers, differing indices, strided or
overlapping indices, a reader nested in another block, non-perfect tiles) is left as it is and
the program is accepted unchanged.
"""

from __future__ import annotations

from ..schedule import ScheduleError
from ..schedule.tree import block_path, enclosing_block, loops_above
from ..tir import Block, BufferLoad, BufferStore, FloorDiv, FloorMod, IntImm, Range, Var, collect
from ..tir.affine import affine_form
from ..tir.analysis import same_expr
from ..tir.arith import simplify
from ..tir.functor import substitute
from ..tir.index_map import IndexMap, mixed_radix_digits
from ..tir.layout_rewrite import LAYOUT_FREE_ATTR, PREPROC_KEY
from .postproc import Postproc


def _reader(func, buf):
    """The one block that reads `buf` (not writing it), directly under the root; else None."""
    readers = [b for b in collect(func.body, Block) if b.name != "root" and any(r.buffer is buf for r in b.reads)]
    if len(readers) != 1 or any(r.buffer is buf for r in readers[0].writes) or readers[0].annotation(PREPROC_KEY):
        return None
    path = block_path(func, readers[0].name)
    scope = enclosing_block(path)
    return path if scope is not None and scope.block.name == "root" else None


def derive_index_map(func, buf):
    """(reader, the index map that lays `buf` out in its reader's loop order); (reader, None)
    when the reader already walks `buf` in its stored order; (None, None) when its reads do
    not decompose (see the module)."""
    path = _reader(func, buf)
    indices = _common_load(path[-1].block, buf) if path is not None else None
    if indices is None:
        return None, None
    return _loop_order_map(path, indices, buf)


def _common_load(block, buf):
    """The indices of every load of `buf` in `block` when they are all the same, else None."""
    loads = [ld for ld in collect(block.body, BufferLoad) if ld.buffer is buf]
    if not loads or any(not all(same_expr(a, b) for a, b in zip(ld.indices, loads[0].indices)) for ld in loads):
        return None
    return loads[0].indices


def _loop_order_map(path, indices, buf):
    """derive_index_map's answer for the block at the end of `path` reading `buf[indices]`."""
    realize = path[-1]
    binding = {iv.var: v for iv, v in zip(realize.block.iter_vars, realize.iter_values)}
    strides = buf.dense_strides()
    flat = _dot([substitute(i, binding) for i in indices], strides)
    flat, places, ranges = _unfused(flat, loops_above(path))
    form = affine_form(simplify(flat, ranges))
    if form is None or form[1] != 0:
        return None, None
    coeffs = dict(form[0])
    digits = []  # (coef, extent) in loop order
    for v, extent in places:
        c = coeffs.pop(v, 0)
        if c < 0 or (c and extent is None):
            return None, None
        if c and extent > 1:
            digits.append((c, extent))
    if coeffs or not mixed_radix_digits(digits, buf.size):
        return None, None
    if [c for c, _ in digits] == sorted((c for c, _ in digits), reverse=True):
        return path[-1].block.name, None  # already read in row-major order
    ix = [Var(f"i{d}") for d in range(buf.ndim)]
    flat_ix = _dot(ix, strides)
    final = []
    for c, e in digits:
        x = flat_ix if c == 1 else flat_ix // c
        final.append(x if c * e == buf.size else x % e)
    return path[-1].block.name, IndexMap(ix, final)


def _unfused(flat, loops):
    """(`flat` with each loop variable it reads by floor division or modulo, as a fused loop's
    bindings do, written as digits; the places: (variable, extent) outermost first, the extent
    None for a loop not from 0 to a constant; their ranges). A fused loop of extent E read as
    `f // c` and `f % c` becomes `sum(d_t * b_t)` over the boundaries b_t (the divisors, 1 and
    E) when each divides the next: the loops it fused, back as digits."""
    cuts = {}
    for node in collect(flat, (FloorDiv, FloorMod)):
        if isinstance(node.b, IntImm):
            base, scale = node.a, 1
            if isinstance(base, FloorDiv) and isinstance(base.b, IntImm):
                base, scale = base.a, base.b.value
            if isinstance(base, Var):
                cuts.setdefault(base, set()).update((scale, scale * node.b.value))
    places, mapping, ranges = [], {}, {}
    for f in loops:
        if not (isinstance(f.extent, IntImm) and isinstance(f.min, IntImm) and f.min.value == 0):
            places.append((f.loop_var, None))
            continue
        extent = f.extent.value
        bounds = sorted({1, extent, *(c for c in cuts.get(f.loop_var, ()) if 1 < c < extent)})
        if len(bounds) < 3 or any(hi % lo for lo, hi in zip(bounds, bounds[1:])):
            places.append((f.loop_var, extent))
            ranges[f.loop_var] = Range(0, extent)
            continue
        digits = [(Var(f"{f.loop_var.name}_{t}", f.loop_var.dtype), lo, hi // lo)
                  for t, (lo, hi) in enumerate(zip(bounds, bounds[1:]))]
        mapping[f.loop_var] = _dot([d for d, _, _ in digits], [lo for _, lo, _ in digits])
        for d, _, n in reversed(digits):
            places.append((d, n))
            ranges[d] = Range(0, n)
    return (substitute(flat, mapping) if mapping else flat), places, ranges


def _dot(indices, strides):
    """sum(index * stride), without multiplications by 1."""
    terms = [i if s == 1 else i * s for i, s in zip(indices, strides)]
    out = terms[0]
    for t in terms[1:]:
        out = out + t
    return out


def runtime_pack(func, buf):
    """The name of the block that packs `buf` at run time, if that is all that reads it: a copy
    of `buf` alone (cache_read, maybe re-laid out, maybe computed at a loop) into a buffer of
    the program read by one other block; else None."""
    pack = _pack(func, buf)
    return None if pack is None else pack.name


def _pack(func, buf):
    leaves = [b for b in collect(func.body, Block) if not collect(b.body, Block)]
    readers = [b for b in leaves if any(r.buffer is buf for r in b.reads)]
    if len(readers) != 1:
        return None
    pack = readers[0]
    store = pack.body
    if (pack.annotation(PREPROC_KEY) or len(pack.reads) != 1 or len(pack.writes) != 1 or pack.init is not None
            or not isinstance(store, BufferStore) or not isinstance(store.value, BufferLoad)
            or store.value.buffer is not buf or any(store.buffer is p for p in func.params)):
        return None
    consumers = [b for b in leaves if b is not pack and any(r.buffer is store.buffer for r in b.reads)]
    return pack if len(consumers) == 1 else None


def _prepacked(func, buf):
    """(pack block or None, reader, index map or None): when a run-time pack is all that reads
    `buf`, the layout its consumer reads once the pack is inlined (None when that is `buf`'s own:
    the pack only copied it); else RewriteLayout's own. The consumer's loads of the pack's
    buffer are mapped back through the copy, as compute_inline would, without inlining."""
    pack = _pack(func, buf)
    if pack is not None:
        store = pack.body
        path = _reader(func, store.buffer)
        indices = _common_load(path[-1].block, store.buffer) if path is not None else None
        if indices is not None and all(isinstance(i, Var) for i in store.indices) \
                and len({id(i) for i in store.indices}) == len(store.indices):
            back = dict(zip(store.indices, indices))
            reader, imap = _loop_order_map(path, [substitute(i, back) for i in store.value.indices], buf)
            if reader is not None:
                return pack.name, reader, imap
    return (None, *derive_index_map(func, buf))


class RewriteLayout(Postproc):
    def apply(self, sch) -> bool:
        for fname in sch.mod.get_global_vars():
            sch.work_on(fname)
            func = sch.mod[fname]
            for pidx in dict(func.attrs).get(LAYOUT_FREE_ATTR, ()):
                func = sch.mod[fname]
                buf = func.params[pidx]
                pack, reader, imap = _prepacked(func, buf)
                if reader is None:
                    continue
                if pack is not None:  # the pack moves ahead of time, into the layout-rewrite copy
                    try:
                        sch.compute_inline(sch.get_block(pack, fname))
                    except ScheduleError:  # the program is unchanged: the pack stays
                        continue
                if imap is None:  # read in its stored order: nothing to rewrite (a pack was a plain copy)
                    continue
                block = sch.get_block(reader, fname)
                read_index = next(i for i, r in enumerate(sch.get(block).reads) if r.buffer is buf)
                copy = sch.cache_read(block, read_index, "global", [block])
                sch.annotate(copy, PREPROC_KEY, 1)
                sch.transform_layout(block, ("read", read_index), imap)
        return True
