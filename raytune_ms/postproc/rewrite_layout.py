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

A weight whose reads do not decompose that way (several readers, differing indices, strided or
overlapping indices, a reader nested in another block, non-perfect tiles) is left as it is and
the program is accepted unchanged.
"""

from __future__ import annotations

from ..schedule.tree import block_path, enclosing_block, loops_above
from ..tir import Block, BufferLoad, IntImm, Var, collect
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
    """The index map that lays `buf` out in its reader's loop order, or None (see the module)."""
    path = _reader(func, buf)
    if path is None:
        return None, None
    realize = path[-1]
    loads = [ld for ld in collect(realize.block.body, BufferLoad) if ld.buffer is buf]
    if not loads or any(not all(same_expr(a, b) for a, b in zip(ld.indices, loads[0].indices)) for ld in loads):
        return None, None
    binding = {iv.var: v for iv, v in zip(realize.block.iter_vars, realize.iter_values)}
    strides = buf.dense_strides()
    flat = _dot([substitute(i, binding) for i in loads[0].indices], strides)
    form = affine_form(simplify(flat))
    if form is None or form[1] != 0:
        return None, None
    coeffs = dict(form[0])
    digits = []  # (coef, extent) in loop order
    for f in loops_above(path):
        c = coeffs.pop(f.loop_var, 0)
        if c == 0:
            continue
        if not (isinstance(f.extent, IntImm) and isinstance(f.min, IntImm) and f.min.value == 0) or c < 0:
            return None, None
        if f.extent.value > 1:
            digits.append((c, f.extent.value))
    if coeffs or not mixed_radix_digits(digits, buf.size):
        return None, None
    if [c for c, _ in digits] == sorted((c for c, _ in digits), reverse=True):
        return None, None  # already read in row-major order
    ix = [Var(f"i{d}") for d in range(buf.ndim)]
    flat_ix = _dot(ix, strides)
    final = []
    for c, e in digits:
        x = flat_ix if c == 1 else flat_ix // c
        final.append(x if c * e == buf.size else x % e)
    return path[-1].block.name, IndexMap(ix, final)


def _dot(indices, strides):
    """sum(index * stride), without multiplications by 1."""
    terms = [i if s == 1 else i * s for i, s in zip(indices, strides)]
    out = terms[0]
    for t in terms[1:]:
        out = out + t
    return out


class RewriteLayout(Postproc):
    def apply(self, sch) -> bool:
        for fname in sch.mod.get_global_vars():
            sch.work_on(fname)
            func = sch.mod[fname]
            for pidx in dict(func.attrs).get(LAYOUT_FREE_ATTR, ()):
                func = sch.mod[fname]
                buf = func.params[pidx]
                reader, imap = derive_index_map(func, buf)
                if reader is None:
                    continue
                block = sch.get_block(reader, fname)
                read_index = next(i for i, r in enumerate(sch.get(block).reads) if r.buffer is buf)
                copy = sch.cache_read(block, read_index, "global", [block])
                sch.annotate(copy, PREPROC_KEY, 1)
                sch.transform_layout(block, ("read", read_index), imap)
        return True
