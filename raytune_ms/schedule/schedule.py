"""Schedule: the current program plus the random variables handed out for it and the trace of
every call so far.

The IR is immutable, so each primitive is a pure function on the PrimFunc being worked on; the
Schedule validates its inputs, calls it, and only on success swaps in the new program, binds
the outputs and appends an Instruction — a failing primitive raises ScheduleError and leaves
the schedule exactly as it was. Random variables map to block names and loop variables, which
survive rewrites; an RV whose block or loop a primitive removed reports that when used.
"""

from __future__ import annotations

from .. import tir
from ..tir import IntImm, IRModule, PrimFunc
from ..tir.tensor_intrin import TensorIntrin
from . import (
    instruction_kinds,  # noqa: F401  (registers the instruction kinds)
    sampling,
)
from .error import ScheduleError
from .instruction import Instruction, InstructionKind
from .primitives import (
    annotation,
    block_cache,
    block_compute_at,
    block_decompose_reduction,
    block_inline,
    block_rfactor,
    block_set_scope,
    block_storage_align,
    dependency,
    layout_transform,
    loop_kind,
    loop_transform,
    pad_einsum,
    reindex,
    tensorize,
)
from .random_variable import COMPUTE_INLINE, COMPUTE_ROOT, BlockRV, ExprRV, LoopRV
from .trace import Trace
from .tree import block_path, child_blocks, loop_path, loops_above

_ROOT, _INLINE = "root", "inline"  # loop marks of compute locations


class Schedule:
    """A schedulable IRModule (or PrimFunc, scheduled as "main")."""

    def __init__(self, mod, seed=None, *, debug_mask="all", error_render_level="detail",
                 enable_check=True):
        self._mod = IRModule.from_any(mod)
        names = self._mod.get_global_vars()
        self._func_name = names[0] if len(names) == 1 else None
        self._syms: dict = {}
        self._trace = Trace()
        self._rng = sampling.RandState(seed)
        self.debug_mask = debug_mask
        self.error_render_level = error_render_level
        self.enable_check = enable_check

    # ------------------------------------------------------------------ state

    @property
    def mod(self) -> IRModule:
        return self._mod

    @property
    def trace(self) -> Trace:
        return self._trace

    @property
    def func_working_on(self):
        return self._func_name

    def work_on(self, func_name: str) -> None:
        if func_name not in self._mod:
            raise ScheduleError(
                f"no function {func_name!r} in the module; it has {self._mod.get_global_vars()}"
            )
        self._func_name = func_name

    def copy(self) -> Schedule:
        """An independent schedule in the same state: same program, same RVs valid in it,
        a copy of the trace and of the random stream."""
        out = Schedule.__new__(Schedule)
        out._mod = self._mod
        out._func_name = self._func_name
        out._syms = dict(self._syms)
        out._trace = self._trace.copy()
        out._rng = self._rng.copy()
        out.debug_mask = self.debug_mask
        out.error_render_level = self.error_render_level
        out.enable_check = self.enable_check
        return out

    def seed(self, seed: int) -> None:
        self._rng.seed(seed)

    def fork_seed(self) -> int:
        return self._rng.fork_seed()

    def show(self) -> None:
        print(tir.script(self._mod))
        print("# trace")
        print(str(self._trace))

    def enter_postproc(self) -> None:
        """Mark the start of postprocessing: replays with remove_postproc stop here."""
        self._record("EnterPostproc", (), (), ())

    # ------------------------------------------------------------------ RV plumbing

    def _record(self, kind, inputs, attrs, outputs, decision=None):
        self._trace.append(Instruction(InstructionKind.get(kind), inputs, attrs, outputs), decision)

    def _func(self, name=None) -> PrimFunc:
        return self._mod[name or self._working()]

    def _working(self) -> str:
        if self._func_name is None:
            raise ScheduleError(
                f"the module has several functions {self._mod.get_global_vars()}; "
                "call work_on(name) or pass func_name"
            )
        return self._func_name

    def _commit(self, fname, func) -> None:
        self._mod = self._mod.with_function(fname, func)

    def _lookup(self, rv, cls, what):
        if not isinstance(rv, cls):
            raise ScheduleError(f"expected a {cls.__name__} for {what}, got {rv!r}")
        value = self._syms.get(rv)
        if value is None:
            raise ScheduleError(f"{what} {rv!r} is not a random variable of this schedule")
        return value

    def _block(self, rv):
        """(function name, block name) of a BlockRV."""
        return self._lookup(rv, BlockRV, "block")

    def _loop(self, rv):
        """(function name, loop Var or a compute-location mark) of a LoopRV."""
        if rv is COMPUTE_ROOT:
            return (self._working(), _ROOT)
        if rv is COMPUTE_INLINE:
            return (self._working(), _INLINE)
        return self._lookup(rv, LoopRV, "loop")

    def _real_loop(self, rv, what):
        fname, var = self._loop(rv)
        if isinstance(var, str):
            raise ScheduleError(f"{what} needs a loop, got the compute location {var!r}")
        return fname, var

    def _target(self, rv):
        """(function name, block name or loop Var) of a BlockRV or LoopRV."""
        if isinstance(rv, BlockRV):
            return self._block(rv)
        if isinstance(rv, LoopRV):
            return self._real_loop(rv, "this primitive")
        raise ScheduleError(f"expected a BlockRV or LoopRV, got {rv!r}")

    def _new(self, cls, value):
        rv = cls()
        self._syms[rv] = value
        return rv

    def _int(self, x, what):
        if isinstance(x, ExprRV):
            return self._lookup(x, ExprRV, what)
        if isinstance(x, IntImm):
            return x.value
        return x

    def get(self, rv):
        """What an RV stands for now: a Block, a For, or an int."""
        if isinstance(rv, ExprRV):
            return self._lookup(rv, ExprRV, "expression")
        if isinstance(rv, BlockRV):
            fname, name = self._block(rv)
            return block_path(self._func(fname), name)[-1].block
        fname, var = self._loop(rv)
        if isinstance(var, str):
            return var
        return loop_path(self._func(fname), var)[-1]

    def remove_rv(self, rv) -> None:
        self._syms.pop(rv, None)

    # ------------------------------------------------------------------ getters

    def get_block(self, name: str, func_name: str | None = None) -> BlockRV:
        fname = func_name or self._working()
        if fname not in self._mod:
            raise ScheduleError(f"no function {fname!r} in the module")
        block_path(self._mod[fname], name)
        rv = self._new(BlockRV, (fname, name))
        self._record("GetBlock", (), (name, fname), (rv,))
        return rv

    def get_loops(self, block: BlockRV) -> list:
        fname, name = self._block(block)
        loops = loops_above(block_path(self._func(fname), name))
        out = [self._new(LoopRV, (fname, f.loop_var)) for f in loops]
        self._record("GetLoops", (block,), (), out)
        return out

    def get_child_blocks(self, block_or_loop) -> list:
        fname, t = self._target(block_or_loop)
        func = self._func(fname)
        stmt = block_path(func, t)[-1] if isinstance(t, str) else loop_path(func, t)[-1]
        out = [self._new(BlockRV, (fname, r.block.name)) for r in child_blocks(stmt)]
        self._record("GetChildBlocks", (block_or_loop,), (), out)
        return out

    def _related(self, block, fn, kind):
        fname, name = self._block(block)
        names = fn(self._func(fname), name)
        out = [self._new(BlockRV, (fname, n)) for n in names]
        self._record(kind, (block,), (), out)
        return out

    def get_producers(self, block: BlockRV) -> list:
        return self._related(block, dependency.producers, "GetProducers")

    def get_consumers(self, block: BlockRV) -> list:
        return self._related(block, dependency.consumers, "GetConsumers")

    # ------------------------------------------------------------------ loop transformations

    def split(self, loop: LoopRV, factors, preserve_unit_iters: bool = True) -> list:
        """Split `loop` into len(factors) loops; factors are ints, ExprRVs or one None."""
        fname, var = self._real_loop(loop, "split")
        factors = list(factors)
        values = [None if f is None else self._int(f, "split factor") for f in factors]
        func, new_vars = loop_transform.split(self._func(fname), var, values, preserve_unit_iters)
        self._commit(fname, func)
        out = [self._new(LoopRV, (fname, v)) for v in new_vars]
        self._record("Split", [loop] + [f.value if isinstance(f, IntImm) else f for f in factors],
                     (bool(preserve_unit_iters),), out)
        return out

    def fuse(self, *loops: LoopRV, preserve_unit_iters: bool = True) -> LoopRV:
        if len(loops) == 1 and isinstance(loops[0], (list, tuple)):
            loops = tuple(loops[0])
        targets = [self._real_loop(lp, "fuse") for lp in loops]
        fname = self._same_func(targets, "fuse")
        func, var = loop_transform.fuse(self._func(fname), [v for _, v in targets],
                                        preserve_unit_iters)
        self._commit(fname, func)
        out = self._new(LoopRV, (fname, var))
        self._record("Fuse", loops, (bool(preserve_unit_iters),), (out,))
        return out

    def reorder(self, *ordered_loops: LoopRV) -> None:
        if len(ordered_loops) == 1 and isinstance(ordered_loops[0], (list, tuple)):
            ordered_loops = tuple(ordered_loops[0])
        targets = [self._real_loop(lp, "reorder") for lp in ordered_loops]
        if not targets:
            return
        fname = self._same_func(targets, "reorder")
        func = loop_transform.reorder(self._func(fname), [v for _, v in targets])
        self._commit(fname, func)
        self._record("Reorder", ordered_loops, (), ())

    def add_unit_loop(self, block_or_loop) -> LoopRV:
        fname, t = self._target(block_or_loop)
        func, var = loop_transform.add_unit_loop(self._func(fname), t)
        self._commit(fname, func)
        out = self._new(LoopRV, (fname, var))
        self._record("AddUnitLoop", (block_or_loop,), (), (out,))
        return out

    @staticmethod
    def _same_func(targets, what):
        names = {f for f, _ in targets}
        if len(names) > 1:
            raise ScheduleError(f"{what}: loops belong to different functions {sorted(names)}")
        return targets[0][0]

    # ------------------------------------------------------------------ loop kinds, annotations

    def _set_kind(self, loop, kind, inst, tag="", attrs=()):
        fname, var = self._real_loop(loop, inst.lower())
        self._commit(fname, loop_kind.set_loop_kind(self._func(fname), var, kind, tag))
        self._record(inst, (loop,), attrs, ())

    def parallel(self, loop: LoopRV) -> None:
        self._set_kind(loop, "parallel", "Parallel")

    def vectorize(self, loop: LoopRV) -> None:
        self._set_kind(loop, "vectorized", "Vectorize")

    def unroll(self, loop: LoopRV) -> None:
        self._set_kind(loop, "unrolled", "Unroll")

    def bind(self, loop: LoopRV, thread_axis: str) -> None:
        self._set_kind(loop, "thread_binding", "Bind", thread_axis, (thread_axis,))

    def annotate(self, block_or_loop, ann_key: str, ann_val) -> None:
        fname, t = self._target(block_or_loop)
        value = self._int(ann_val, "annotation value")
        self._commit(fname, annotation.annotate(self._func(fname), t, ann_key, value))
        self._record("Annotate", (block_or_loop, ann_val), (ann_key,), ())

    def unannotate(self, block_or_loop, ann_key: str) -> None:
        fname, t = self._target(block_or_loop)
        self._commit(fname, annotation.unannotate(self._func(fname), t, ann_key))
        self._record("Unannotate", (block_or_loop,), (ann_key,), ())

    # ------------------------------------------------------------------ block primitives

    def _at(self, fn, inline, kind, block, loop, preserve_unit_loops, index):
        fname, name = self._block(block)
        lfname, var = self._loop(loop)
        if lfname != fname:
            raise ScheduleError(
                f"{fn.__name__}: block {name!r} and the loop are in different functions")
        if var is _INLINE:
            self._commit(fname, inline(self._func(fname), name))
        elif var is not _ROOT:
            func = fn(self._func(fname), name, var, bool(preserve_unit_loops), int(index))
            self._commit(fname, func)
        self._record(kind, (block, loop), (bool(preserve_unit_loops), int(index)), ())

    def compute_at(self, block: BlockRV, loop: LoopRV, preserve_unit_loops: bool = False,
                   index: int = -1) -> None:
        self._at(block_compute_at.compute_at, block_inline.compute_inline, "ComputeAt", block, loop,
                 preserve_unit_loops, index)

    def reverse_compute_at(self, block: BlockRV, loop: LoopRV, preserve_unit_loops: bool = False,
                           index: int = -1) -> None:
        self._at(block_compute_at.reverse_compute_at, block_inline.reverse_compute_inline,
                 "ReverseComputeAt", block, loop, preserve_unit_loops, index)

    def compute_inline(self, block: BlockRV) -> None:
        fname, name = self._block(block)
        self._commit(fname, block_inline.compute_inline(self._func(fname), name))
        self._record("ComputeInline", (block,), (), ())

    def reverse_compute_inline(self, block: BlockRV) -> None:
        fname, name = self._block(block)
        self._commit(fname, block_inline.reverse_compute_inline(self._func(fname), name))
        self._record("ReverseComputeInline", (block,), (), ())

    def _cache(self, fn, kind, block, buffer_index, storage_scope, consumer_blocks):
        fname, name = self._block(block)
        consumers = list(consumer_blocks or [])
        consumer_names = [self._block(c)[1] for c in consumers] or None
        func, new_name = fn(
            self._func(fname), name, int(buffer_index), storage_scope, consumer_names)
        self._commit(fname, func)
        out = self._new(BlockRV, (fname, new_name))
        self._record(kind, [block] + consumers, (int(buffer_index), storage_scope), (out,))
        return out

    def cache_read(self, block: BlockRV, read_buffer_index: int, storage_scope: str,
                   consumer_blocks=None) -> BlockRV:
        return self._cache(block_cache.cache_read, "CacheRead", block, read_buffer_index,
                           storage_scope, consumer_blocks)

    def cache_write(self, block: BlockRV, write_buffer_index: int, storage_scope: str,
                    consumer_blocks=None) -> BlockRV:
        return self._cache(block_cache.cache_write, "CacheWrite", block, write_buffer_index,
                           storage_scope, consumer_blocks)

    def set_scope(self, block: BlockRV, buffer_index: int, storage_scope: str) -> None:
        fname, name = self._block(block)
        func = block_set_scope.set_scope(self._func(fname), name, int(buffer_index), storage_scope)
        self._commit(fname, func)
        self._record("SetScope", (block,), (int(buffer_index), storage_scope), ())

    def rfactor(self, loop: LoopRV, factor_axis: int) -> BlockRV:
        fname, var = self._real_loop(loop, "rfactor")
        func, rf_name = block_rfactor.rfactor(self._func(fname), var, int(factor_axis))
        self._commit(fname, func)
        out = self._new(BlockRV, (fname, rf_name))
        self._record("RFactor", (loop,), (int(factor_axis),), (out,))
        return out

    def decompose_reduction(self, block: BlockRV, loop: LoopRV) -> BlockRV:
        fname, name = self._block(block)
        _, var = self._real_loop(loop, "decompose_reduction")
        func, init_name = block_decompose_reduction.decompose_reduction(
            self._func(fname), name, var)
        self._commit(fname, func)
        out = self._new(BlockRV, (fname, init_name))
        self._record("DecomposeReduction", (block, loop), (), (out,))
        return out

    def storage_align(self, block: BlockRV, buffer_index: int, axis: int, factor: int,
                      offset: int) -> None:
        fname, name = self._block(block)
        args = (int(buffer_index), int(axis), int(factor), int(offset))
        self._commit(fname, block_storage_align.storage_align(self._func(fname), name, *args))
        self._record("StorageAlign", (block,), args, ())

    def reindex(self, block: BlockRV, buffer) -> BlockRV:
        """Access buffer ("read"|"write", i) of `block` (or the buffer of that name) through a
        copy indexed by the block's iterators; returns the copy block (see primitives.reindex)."""
        fname, name = self._block(block)
        index, kind = layout_transform.resolve_buffer("reindex", self.get(block), buffer)
        func, new_name = reindex.reindex(self._func(fname), name, index, kind)
        self._commit(fname, func)
        out = self._new(BlockRV, (fname, new_name))
        self._record("ReIndex", (block,), (int(index), kind), (out,))
        return out

    def pad_einsum(self, block: BlockRV, padding) -> None:
        """Pad an einsum block's iterators up to multiples of `padding` through zero-padded
        buffer copies; see primitives.pad_einsum."""
        fname, name = self._block(block)
        padding = tuple(int(p) for p in padding)
        self._commit(fname, pad_einsum.pad_einsum(self._func(fname), name, padding))
        self._record("PadEinsum", (block,), (padding,), ())

    def tensorize(self, block_or_loop, tensor_intrin: str, preserve_unit_iters: bool = True) -> None:
        """Mark the nest at a loop (or a block's innermost loops, as many as the intrinsic has)
        as the registered tensor intrinsic `tensor_intrin`; see primitives.tensorize."""
        intrin = TensorIntrin.get(tensor_intrin)
        loop = block_or_loop
        if isinstance(block_or_loop, BlockRV):
            depth = len(tensorize._desc_nest(intrin.desc)[0])
            loops = self.get_loops(block_or_loop)
            if len(loops) < depth:
                raise ScheduleError(f"tensorize: block {self._block(block_or_loop)[1]!r} has {len(loops)} "
                                    f"loops; {tensor_intrin!r} needs {depth}")
            loop = loops[-depth]
        fname, var = self._real_loop(loop, "tensorize")
        self._commit(fname, tensorize.tensorize(self._func(fname), var, tensor_intrin))
        self._record("Tensorize", (block_or_loop,), (tensor_intrin, bool(preserve_unit_iters)), ())

    def transform_layout(self, block, buffer, index_map, pad_value=None, *,
                         assume_injective_transform: bool = False) -> None:
        """Re-lay out a buffer `block` accesses (("read"|"write", i) or its name) through
        `index_map` (a function of its indices, or an IndexMap); see primitives.layout_transform."""
        if pad_value is not None:
            raise ScheduleError("transform_layout: pad_value is not supported (the map must be a bijection)")
        if isinstance(block, str):
            block = self.get_block(block)
        fname, name = self._block(block)
        idx, kind = layout_transform.resolve_buffer("transform_layout", self.get(block), buffer)
        func, imap = layout_transform.transform_layout(self._func(fname), name, idx, kind, index_map)
        self._commit(fname, func)
        self._record("TransformLayout", (block,), (idx, kind, imap.as_json(), bool(assume_injective_transform)), ())

    # ------------------------------------------------------------------ sampling

    def sample_categorical(self, candidates, probs, decision=None) -> ExprRV:
        candidates = [self._int(c, "candidate") for c in candidates]
        probs = [float(p.value if isinstance(p, tir.FloatImm) else p) for p in probs]
        d = sampling.sample_categorical(self._rng, candidates, probs, decision)
        out = self._new(ExprRV, candidates[d])
        self._record("SampleCategorical", (), (tuple(candidates), tuple(probs)), (out,), d)
        return out

    def sample_joint_categorical(self, candidates, probs, decision=None) -> list:
        """One categorical draw over tuples of ints (beyond the reference): one ExprRV per
        tuple position, so factors that constrain each other (a register tile's rows and
        vectors) are drawn together. The decision is the chosen tuple's index."""
        tuples = [tuple(self._int(c, "candidate") for c in cand) for cand in candidates]
        if not tuples or len({len(t) for t in tuples}) != 1 or not tuples[0]:
            raise ScheduleError(f"sample_joint_categorical: candidates must be non-empty tuples "
                                f"of one length, got {candidates!r}")
        probs = [float(p.value if isinstance(p, tir.FloatImm) else p) for p in probs]
        d = sampling.sample_categorical(self._rng, tuples, probs, decision)
        out = [self._new(ExprRV, x) for x in tuples[d]]
        self._record("SampleJointCategorical", (), (tuple(tuples), tuple(probs)), out, d)
        return out

    def sample_perfect_tile(self, loop: LoopRV, n: int, max_innermost_factor: int = 16,
                            decision=None) -> list:
        fname, var = self._real_loop(loop, "sample_perfect_tile")
        f = loop_path(self._func(fname), var)[-1]
        if not isinstance(f.extent, IntImm):
            raise ScheduleError(
                f"sample_perfect_tile: loop {var.name!r} has a non-constant extent {f.extent!r}")
        d = sampling.sample_perfect_tile(self._rng, f.extent.value, int(n),
                                         int(max_innermost_factor), decision, var.name)
        out = [self._new(ExprRV, x) for x in d]
        self._record("SamplePerfectTile", (loop,), (int(n), int(max_innermost_factor)), out, d)
        return out

    def sample_compute_location(self, block: BlockRV, decision=None) -> LoopRV:
        fname, name = self._block(block)
        loops = block_compute_at.compute_location_candidates(self._func(fname), name)
        d = sampling.sample_compute_location(self._rng, len(loops), decision, name)
        value = _ROOT if d == -1 else _INLINE if d == -2 else loops[d]
        out = self._new(LoopRV, (fname, value))
        self._record("SampleComputeLocation", (block,), (), (out,), d)
        return out


