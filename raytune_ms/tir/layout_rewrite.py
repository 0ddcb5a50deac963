"""The layout-rewrite preprocessing stage RewriteLayout inserts, and taking it out of a program.

RewriteLayout leaves a complete program: a block annotated `PREPROC_KEY` copies a layout-free
weight into the layout its consumer reads contiguously, and the compute reads that copy. The
weight is a constant, so the copy need run only once, ahead of time: `split_layout_rewrite`
removes the stage, makes the rearranged buffer the parameter in the weight's place, and returns
the IndexMap of each such parameter, which the caller applies to the weight's array once
(`IndexMap.apply_to_array`). It is the reference's RemoveWeightLayoutRewriteBlock; the new
function also records the maps in its `layout_transforms` attribute: (parameter index, the map's
JSON) pairs.
"""

from __future__ import annotations

from .buffer import Buffer
from .function import PrimFunc
from .functor import collect, substitute
from .index_map import IndexMap
from .stmt import Block, BlockRealize, BufferStore, SeqStmt

#: the annotation of a layout-rewrite copy block (value 1), as the reference names it
PREPROC_KEY = "meta_schedule.layout_rewrite_preproc"
#: the function attribute naming the parameters whose layout may be changed ahead of time
LAYOUT_FREE_ATTR = "layout_free_buffers"
#: the function attribute recording what `split_layout_rewrite` did
LAYOUT_TRANSFORMS_ATTR = "layout_transforms"


def preproc_blocks(func: PrimFunc) -> list:
    return [b for b in collect(func.body, Block) if b.annotation(PREPROC_KEY)]


def split_layout_rewrite(func: PrimFunc) -> tuple:
    """(func without its layout-rewrite stages, {parameter index: IndexMap}); `func` itself and
    {} when it has none."""
    blocks = preproc_blocks(func)
    if not blocks:
        return func, {}
    root = func.body.block
    kids = list(root.body.seq) if isinstance(root.body, SeqStmt) else [root.body]
    params, allocs, maps, mapping = list(func.params), list(root.alloc_buffers), {}, {}
    for blk in blocks:
        src, dst = blk.reads[0].buffer, blk.writes[0].buffer
        pidx = next((i for i, p in enumerate(params) if p is src), None)
        store = blk.body
        if (pidx is None or len(blk.reads) != 1 or len(blk.writes) != 1 or not isinstance(store, BufferStore)
                or not any(b is dst for b in allocs)):
            raise ValueError(f"layout-rewrite block {blk.name!r} is not a copy of a parameter into a buffer "
                             "allocated at the root")
        maps[pidx] = IndexMap([iv.var for iv in blk.iter_vars], store.indices)
        new = Buffer(src.name, dst.shape, dst.dtype, "global")
        params[pidx] = new
        mapping[dst] = new
        allocs = [b for b in allocs if b is not dst]
        kids = [k for k in kids if not any(r.block is blk for r in collect(k, BlockRealize))]
    body = SeqStmt(kids) if len(kids) > 1 else kids[0]
    root = root.replace(body=substitute(body, mapping), alloc_buffers=tuple(allocs))
    out = PrimFunc(params, func.body.replace(block=root), func.attrs)
    recorded = tuple(sorted((i, m.as_json()) for i, m in maps.items()))
    return out.with_attr(LAYOUT_TRANSFORMS_ATTR, recorded), maps
