"""MutateParallel: change the parallel extent limit that ParallelizeVectorizeUnroll writes as the
`meta_schedule.parallel` annotation of a root block (RewriteParallelVectorizeUnroll then fuses
and parallelises the outer loops of each child block until their product reaches the limit).

Only limits that change what gets parallelised are worth a trial. The trace is replayed
(without postprocessing); for each child block of the annotated block, the outermost run of
loops that could be fused (serial, unannotated, constant extent, used by no non-spatial
iterator of the block) gives prefix products of extents, cut at the first one reaching
cores x max_jobs_per_core. A limit selects, per block, the loops whose prefix products are <= it
plus the next one (unless the limit equals a product): a plan. Every prefix product up to the
maximum is tried as a limit; one plan other than the current one is picked uniformly, and the
smallest limit giving it is written into the annotation.
"""

from __future__ import annotations

from .. import tir
from ..schedule import Trace
from ..schedule.instruction import Instruction
from ..schedule.random_variable import BlockRV
from ..schedule.tree import block_path, child_blocks, loops_above
from .mutator import Mutator, replay

PARALLEL_KEY = "meta_schedule.parallel"


def _fusible_products(func, name, max_extent) -> list:
    """Prefix products of the outermost fusible loops of child block `name` (see the module
    docstring)."""
    path = block_path(func, name)
    realize = path[-1]
    reduce_vars = set()
    for iv, value in zip(realize.block.iter_vars, realize.iter_values):
        if iv.kind != "spatial":
            reduce_vars.update(id(v) for v in tir.collect(value, tir.Var))
    run = []
    for loop in reversed(loops_above(path)):
        ok = (loop.kind == "serial" and not loop.annotations and isinstance(loop.extent, tir.IntImm)
              and id(loop.loop_var) not in reduce_vars)
        run = [loop.extent.value, *run] if ok else []
    products, p = [], 1
    for extent in run:
        p *= extent
        products.append(p)
        if p >= max_extent:
            break
    return products


def _plan(products_per_block, limit) -> tuple:
    plan = []
    for products in products_per_block:
        n = sum(1 for p in products if p <= limit)
        if n < len(products) and (n == 0 or products[n - 1] != limit):
            n += 1
        plan.append(n)
    return tuple(plan)


def other_limit(products_per_block, current, max_extent, rng):
    """A limit whose plan differs from that of `current`, or None."""
    limits = sorted({p for products in products_per_block for p in products if p <= max_extent})
    plans = {}
    for limit in limits:
        plans.setdefault(_plan(products_per_block, limit), limit)
    plans.pop(_plan(products_per_block, current), None)
    if not plans:
        return None
    choices = list(plans.values())
    return choices[rng.randint(len(choices))]


class MutateParallel(Mutator):
    """Mutates the parallel extent. max_jobs_per_core: as ParallelizeVectorizeUnroll's (the
    largest limit is the target's cores times this)."""

    def __init__(self, max_jobs_per_core: int = 16):
        if int(max_jobs_per_core) < 1:
            raise ValueError(f"MutateParallel.max_jobs_per_core must be >= 1, got {max_jobs_per_core}")
        self.max_jobs_per_core = int(max_jobs_per_core)

    def _max_extent(self) -> int:
        from ..target import Target

        target = self._target if self._target is not None else Target.host()
        return max(int(getattr(target, "num_cores", None) or 1), 1) * self.max_jobs_per_core

    def _mutate(self, trace, rng):
        insts = trace._kept(remove_postproc=True)
        annotates = [inst for inst in insts if inst.kind.name == "Annotate" and inst.attrs[0] == PARALLEL_KEY
                     and isinstance(inst.inputs[0], BlockRV) and isinstance(inst.inputs[1], int)]
        if not annotates:
            return None
        blocks = {}

        def collect(sch, inst, inputs, decision):
            if inst in annotates:
                blocks[inst] = sch.get(inputs[0]).name

        sch = replay(trace, self._need_mod(), collect)
        if not sch.func_working_on:
            return None
        func = sch.mod[sch.func_working_on]
        max_extent = self._max_extent()
        choices = []
        for inst in annotates:
            root = block_path(func, blocks[inst])[-1]
            products = [_fusible_products(func, r.block.name, max_extent) for r in child_blocks(root)]
            choices.append((inst, products))
        while choices:
            inst, products = choices.pop(rng.randint(len(choices)))
            limit = other_limit(products, inst.inputs[1], max_extent, rng)
            if limit is not None:
                new = Instruction(inst.kind, [inst.inputs[0], limit], inst.attrs, inst.outputs)
                kept = set(insts)
                return Trace([new if i is inst else i for i in insts],
                             {i: d for i, d in trace.decisions.items() if i in kept})
        return None
