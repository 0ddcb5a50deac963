"""RewriteParallelVectorizeUnroll: turn the root annotations of ParallelizeVectorizeUnroll into
loop kinds, block by block (each block directly under the root that has loops):

- contiguity: how many innermost loops of the block can be fused into one loop that walks
  every buffer it accesses with a constant stride (loops an access does not use count; a used
  loop counts if its stride continues the previous used loop's stride x extent);
- parallel: from the outermost loop inward, serial unannotated spatial loops of constant
  extent, up to the first whose product exceeds the parallel limit (cores x jobs per core) or
  the first whose body holds several statements; they are fused and parallelised. Beyond the
  reference, leading loops of extent 1 down to one that holds several statements (a packed
  panel's or a padding stage and the nest it feeds, computed at tile loops of one iteration)
  are skipped: the walk starts below them, so each nest under them still gets its parallel
  loop (else the whole program stays serial);
- vectorize: from the innermost loop outward, spatial single-statement loops, no more than
  the contiguity allows, while their product stays within the vector limit; fused and
  vectorised. When both cover every loop, all are fused and split [rest, limit]. Beyond the
  reference, when no loop fits because the innermost (contiguous, spatial, not parallel) one
  is longer than the limit, it is split [rest, d] by its largest divisor d within the limit
  and the inner piece vectorised (an element-wise row of 256 would otherwise stay scalar);
- unroll: a reduction block's outermost loop gets `pragma_auto_unroll_max_step` (and
  `pragma_unroll_explicit`) when the sampled step is above 0.
"""

from __future__ import annotations

from ..schedule.primitives.reduction_loops import carries_reduction
from ..schedule.tree import block_path, child_blocks, loops_above
from ..schedule_rule.parallel_vectorize_unroll import (
    PARALLEL_KEY,
    UNROLL_EXPLICIT_KEY,
    UNROLL_IMPLICIT_KEY,
    VECTORIZE_KEY,
)
from ..tir import IntImm, SeqStmt
from ..tir.affine import affine_form
from ..tir.functor import substitute, used_vars
from .postproc import Postproc

_KEYS = (PARALLEL_KEY, VECTORIZE_KEY, UNROLL_EXPLICIT_KEY, UNROLL_IMPLICIT_KEY)


def _is_spatial_loop(loop) -> bool:
    """No block under the loop binds a reduction iterator to it."""
    return not carries_reduction(loop)


def _free(loop) -> bool:
    return loop.kind == "serial" and not loop.annotations and isinstance(loop.extent, IntImm)


def _shared_units(loops) -> int:
    """How many leading `loops` to skip: the longest chain of serial one-iteration loops from
    the outermost that ends with one whose body holds several statements (0 if none)."""
    start = 0
    for k, f in enumerate(loops[:-1]):
        if f.kind != "serial" or not isinstance(f.extent, IntImm) or f.extent.value != 1:
            break
        if isinstance(f.body, SeqStmt):
            start = k + 1
    return start


def parallel_extents(loops) -> tuple[int, list]:
    """(start, extents): where the parallel walk begins (past the shared one-iteration units)
    and the extents of the loops from there that it may fuse and parallelise, outermost first:
    serial unannotated spatial loops of constant extent, the run ending after one whose body
    holds several statements (none if a skipped loop is parallel already). MutateParallel
    walks the same loops, so it proposes only limits that change the result."""
    start = _shared_units(loops)
    out = []
    if any(f.kind == "parallel" for f in loops[:start]):
        return start, out
    for f in loops[start:]:
        if not (_free(f) and _is_spatial_loop(f)):
            break
        out.append(f.extent.value)
        if isinstance(f.body, SeqStmt):
            break
    return start, out


def parallel_count(extents, limit: int) -> int:
    """How many of `extents` (from parallel_extents) a parallel limit fuses: up to the first
    whose running product exceeds it; 0 when their product is 1."""
    n, prod = 0, 1
    for extent in extents:
        n += 1
        prod *= extent
        if prod > limit:
            break
    return n if prod > 1 else 0


def _vector_split(loop, max_vector: int) -> int:
    """The largest divisor (>= 2) within `max_vector` of a free spatial single-statement loop
    longer than `max_vector`, else 0."""
    if max_vector < 2 or not (_free(loop) and _is_spatial_loop(loop)) or isinstance(loop.body, SeqStmt):
        return 0
    extent = loop.extent.value
    if extent <= max_vector:
        return 0
    return next((d for d in range(max_vector, 1, -1) if extent % d == 0), 0)


def _flat_terms(index, shape) -> list:
    """Per dimension of a row-major access, (its affine form or None, the expression, the
    dimension's stride): what the stride of each loop is read from (the forms worked out once
    per access, not once per loop)."""
    out, inner = [], 1
    for idx, dim in zip(reversed(index), reversed(shape)):
        out.append((affine_form(idx), idx, inner))
        inner *= int(getattr(dim, "value", dim))
    return out


def _stride(terms, var):
    """The coefficient of `var` in the row-major flattened index (`_flat_terms`), or None if
    not affine."""
    total = 0
    for form, idx, inner in terms:
        if form is None:
            if id(var) in used_vars(idx):
                return None
        else:
            total += inner * form[0].get(var, 0)
    return total


def max_fusible(realize, loops) -> int:
    """How many innermost `loops` every access region of the block walks contiguously."""
    mapping = {iv.var: v for iv, v in zip(realize.block.iter_vars, realize.iter_values)}
    best = len(loops)
    for region in list(realize.block.reads) + list(realize.block.writes):
        shape = region.buffer.shape
        if not all(isinstance(d, int) or isinstance(d, IntImm) for d in shape):
            return 0
        terms = _flat_terms([substitute(r.min, mapping) for r in region.region], shape)
        count, prev, unused = 0, None, False
        for f in reversed(loops):
            s = _stride(terms, f.loop_var)
            if s is None:
                break
            if s == 0:
                count += 1
                unused = True
                continue
            if prev is None:
                if s != 1 and unused:
                    break
            elif s != prev[0] * prev[1]:
                break
            count += 1
            prev = (s, f.extent.value)
        best = min(best, count)
    return best


class RewriteParallelVectorizeUnroll(Postproc):
    def apply(self, sch) -> bool:
        for fname in sch.mod.get_global_vars():
            sch.work_on(fname)
            root = sch.mod[fname].body.block
            anns = dict(root.annotations)
            found = {k: anns[k] for k in _KEYS if k in anns}
            if not found:
                continue
            root_rv = sch.get_block(root.name, fname)
            for key in found:
                sch.unannotate(root_rv, key)
            names = [r.block.name for r in child_blocks(sch.mod[fname].body)]
            for name in names:
                self._rewrite(sch, fname, name, found)
        return True

    @staticmethod
    def _rewrite(sch, fname, name, found) -> None:
        func = sch.mod[fname]
        path = block_path(func, name)
        loops = loops_above(path)
        if not loops:
            return
        realize = path[-1]
        n = len(loops)
        max_parallel = int(found.get(PARALLEL_KEY, 0) or 0)
        max_vector = int(found.get(VECTORIZE_KEY, 0) or 0)
        start, extents = parallel_extents(loops)
        n_par = parallel_count(extents, max_parallel) if max_parallel > 0 else 0
        n_vec = 0
        if max_vector > 0:
            limit = max_fusible(realize, loops)
            prod = 1
            for f in reversed(loops):
                if n_vec >= limit or not (_free(f) and _is_spatial_loop(f)) or isinstance(f.body, SeqStmt):
                    break
                if prod * f.extent.value > max_vector:
                    break
                prod *= f.extent.value
                n_vec += 1
            if prod == 1:
                n_vec = 0
        block = sch.get_block(name, fname)
        rvs = sch.get_loops(block)
        split = _vector_split(loops[-1], max_vector) if n_vec == 0 and n - 1 >= start + n_par else 0
        if split and max_fusible(realize, loops[-1:]) >= 1:
            rvs = rvs[:-1] + list(sch.split(rvs[-1], [None, split]))
            n_vec, n = 1, n + 1
        if n_par == n and n_vec == n and n_par > 0:
            fused = sch.fuse(*rvs) if n > 1 else rvs[0]
            outer, inner = sch.split(fused, [None, max_vector])
            sch.parallel(outer)
            sch.vectorize(inner)
            rvs = [outer, inner]
        else:
            n_par = max(min(n_par, n - start - n_vec), 0)
            vec_rvs = rvs[n - n_vec:] if n_vec else []
            par_rvs = rvs[start:start + n_par]
            if par_rvs:
                par = sch.fuse(*par_rvs) if len(par_rvs) > 1 else par_rvs[0]
                sch.parallel(par)
                rvs = rvs[:start] + [par] + rvs[start + n_par:]
            if vec_rvs:
                vec = sch.fuse(*vec_rvs) if len(vec_rvs) > 1 else vec_rvs[0]
                sch.vectorize(vec)
                rvs = rvs[: len(rvs) - len(vec_rvs)] + [vec]
        step = found.get(UNROLL_EXPLICIT_KEY, found.get(UNROLL_IMPLICIT_KEY))
        if step and int(step) > 0 and any(iv.kind != "spatial" for iv in realize.block.iter_vars):
            sch.annotate(rvs[start], "pragma_auto_unroll_max_step", int(step))
            sch.annotate(rvs[start], "pragma_unroll_explicit", 1 if UNROLL_EXPLICIT_KEY in found else 0)
