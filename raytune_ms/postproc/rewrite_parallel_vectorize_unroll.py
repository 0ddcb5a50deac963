"""RewriteParallelVectorizeUnroll: turn the root annotations of ParallelizeVectorizeUnroll into
loop kinds, block by block (each block directly under the root that has loops):

- contiguity: how many innermost loops of the block can be fused into one loop that walks
  every buffer it accesses with a constant stride (loops an access does not use count; a used
  loop counts if its stride continues the previous used loop's stride x extent);
- parallel: from the outermost loop inward, serial unannotated spatial loops of constant
  extent, up to the first whose product exceeds the parallel limit (cores x jobs per core) or
  the first whose body holds several statements; they are fused and parallelised;
- vectorize: from the innermost loop outward, spatial single-statement loops, no more than
  the contiguity allows, while their product stays within the vector limit; fused and
  vectorised. When both cover every loop, all are fused and split [rest, limit];
- unroll: a reduction block's outermost loop gets `pragma_auto_unroll_max_step` (and
  `pragma_unroll_explicit`) when the sampled step is above 0.
"""

from __future__ import annotations

from ..schedule.tree import block_path, blocks_in, child_blocks, loops_above
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
    for realize in blocks_in(loop.body):
        for iv, value in zip(realize.block.iter_vars, realize.iter_values):
            if iv.kind != "spatial" and id(loop.loop_var) in used_vars(value):
                return False
    return True


def _free(loop) -> bool:
    return loop.kind == "serial" and not loop.annotations and isinstance(loop.extent, IntImm)


def _stride(index, shape, var):
    """The coefficient of `var` in the row-major flattened index, or None if not affine."""
    total, inner = 0, 1
    for idx, dim in zip(reversed(index), reversed(shape)):
        form = affine_form(idx)
        if form is None:
            if id(var) in used_vars(idx):
                return None
        else:
            total += inner * form[0].get(var, 0)
        inner *= int(getattr(dim, "value", dim))
    return total


def max_fusible(realize, loops) -> int:
    """How many innermost `loops` every access region of the block walks contiguously."""
    mapping = {iv.var: v for iv, v in zip(realize.block.iter_vars, realize.iter_values)}
    best = len(loops)
    for region in list(realize.block.reads) + list(realize.block.writes):
        shape = region.buffer.shape
        if not all(isinstance(d, int) or isinstance(d, IntImm) for d in shape):
            return 0
        index = [substitute(r.min, mapping) for r in region.region]
        count, prev, unused = 0, None, False
        for f in reversed(loops):
            s = _stride(index, shape, f.loop_var)
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
        n_par, prod = 0, 1
        if max_parallel > 0:
            for f in loops:
                if not (_free(f) and _is_spatial_loop(f)):
                    break
                n_par += 1
                prod *= f.extent.value
                if prod > max_parallel or isinstance(f.body, SeqStmt):
                    break
            if prod == 1:
                n_par = 0
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
        if n_par == n and n_vec == n and n_par > 0:
            fused = sch.fuse(*rvs) if n > 1 else rvs[0]
            outer, inner = sch.split(fused, [None, max_vector])
            sch.parallel(outer)
            sch.vectorize(inner)
            rvs = [outer, inner]
        else:
            n_par = min(n_par, n - n_vec)
            vec_rvs = rvs[n - n_vec:] if n_vec else []
            par_rvs = rvs[:n_par]
            if par_rvs:
                par = sch.fuse(*par_rvs) if len(par_rvs) > 1 else par_rvs[0]
                sch.parallel(par)
                rvs = [par] + rvs[n_par:]
            if vec_rvs:
                vec = sch.fuse(*vec_rvs) if len(vec_rvs) > 1 else vec_rvs[0]
                sch.vectorize(vec)
                rvs = rvs[: len(rvs) - len(vec_rvs)] + [vec]
        step = found.get(UNROLL_EXPLICIT_KEY, found.get(UNROLL_IMPLICIT_KEY))
        if step and int(step) > 0 and any(iv.kind != "spatial" for iv in realize.block.iter_vars):
            sch.annotate(rvs[0], "pragma_auto_unroll_max_step", int(step))
            sch.annotate(rvs[0], "pragma_unroll_explicit", 1 if UNROLL_EXPLICIT_KEY in found else 0)
