"""The operand layouts a tensor-core GEMM needs, made the reference's way (reindex, then
transform_layout) for a block C[...] += A[...] * B[...] whose buffers are indexed otherwise.

The block's iterators take GEMM roles from where they are used: i (spatial, in C and A, not B),
j (spatial, in C and B, not A), k (reduction, in A and B); the last of each in the block's
order is the one the 16x16x16 tile covers (a conv2d's w, output channel and input channel).
Then each operand that is not already in the form the rule tiles — A[..., i + x, k] (x free of
i: a stride-1 conv's window w + rw), B[..., k, j], C[..., i, j] — is given a copy indexed by
the block's iterators (`reindex`: read for A and B, write for C) laid out [the others..., i, k],
[..., k, j] and [..., i, j] (`transform_layout`). So a strided conv's input window becomes an
im2col operand, a transposed A or B (an NT GEMM, C[i, j] += A[i, k] * B[j, k]) a plain one,
and an output indexed in another order (C[j, i], a batch axis last) gets a GEMM-shaped copy
written back after. MultiLevelTilingTensorCore folds these copies into its shared-memory fetches
and its write-back stage (tensor_core_fusion.py), so they are no kernels of their own.
"""

from __future__ import annotations

from ..tir import Var, const, sub, substitute
from ..tir.arith import simplify
from ..tir.functor import used_vars
from ..tir.index_map import IndexMap


def advances_with(e, v) -> bool:
    """`e` is v plus terms without v (an implicit-GEMM row: a conv's w + rw at stride 1)."""
    moving = simplify(sub(e, substitute(e, {v: const(0, v.dtype)})))
    return moving is v


def _used(load) -> frozenset:
    return frozenset().union(*[used_vars(e) for e in load.indices])


def gemm_roles(block, store, a, b):
    """(i, j, k) iterator variables of the einsum `store` = ... A `a` * B `b`, or None when a
    role has no iterator."""
    uc, ua, ub = _used(store), _used(a), _used(b)
    roles = []
    for kind, inside, outside in (("spatial", (uc, ua), ub), ("spatial", (uc, ub), ua), ("reduce", (ua, ub), uc)):
        cands = [iv.var for iv in block.iter_vars if iv.kind == kind and id(iv.var) not in outside
                 and all(id(iv.var) in s for s in inside)]
        if not cands:
            return None
        roles.append(cands[-1])
    return tuple(roles)


def _order(block, load, last) -> IndexMap | None:
    """The IndexMap that orders the reindexed copy of `load`'s buffer (indexed by the
    iterators `load` uses, in block order) as [the others..., *last]; None if already so."""
    used = _used(load)
    ids = [id(iv.var) for iv in block.iter_vars if id(iv.var) in used]
    tail = [ids.index(id(v)) for v in last]
    perm = [n for n in range(len(ids)) if n not in tail] + tail
    if perm == list(range(len(ids))):
        return None
    params = [Var(f"i{n}", "int32") for n in range(len(ids))]
    return IndexMap(params, [params[p] for p in perm])


def layout_steps(block, store, a, b):
    """[(("read"|"write", buffer index), IndexMap or None)]: the reindex (and transform_layout,
    when the map is not None) of each operand of the einsum that is not GEMM-shaped, in the
    order A, B, C; [] when all are; None when the block has no GEMM roles (see the module
    docstring)."""
    roles = gemm_roles(block, store, a, b)
    if roles is None or a.buffer is b.buffer:
        return None
    i, j, k = roles
    reads = {id(r.buffer): n for n, r in enumerate(block.reads)}
    if id(a.buffer) not in reads or id(b.buffer) not in reads:
        return None
    steps = []
    ai, ak = a.indices[-2:]
    if not (ak is k and advances_with(ai, i)):
        steps.append((("read", reads[id(a.buffer)]), _order(block, a, (i, k))))
    if not (b.indices[-2] is k and b.indices[-1] is j):
        steps.append((("read", reads[id(b.buffer)]), _order(block, b, (k, j))))
    if not (store.indices[-2] is i and store.indices[-1] is j):
        steps.append((("write", 0), _order(block, store, (i, j))))
    return steps
