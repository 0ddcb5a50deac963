"""MultiLevelTilingTensorCore: tile a float16 matmul-shaped block (C[..., i, j] += A[..., i, k] *
B[..., k, j], fp16 inputs, fp16 or fp32 accumulation) onto an intrinsic group of wmma
(tir/tensor_intrin/cuda.py), the reference's tensor-core rule:

- i, j and k are first split by 16 (the intrinsic's tile); the outer parts are tiled by the
  structure ("SSSRRSRS") like MultiLevelTilingCuda, levels bound to `tile_binds` (blockIdx.y,
  blockIdx.x, threadIdx.y: one warp per threadIdx.y; its 32 lanes run every wmma call), and the
  16x16x16 loops go innermost; as there, a loop whose shared tile would overflow the target's
  shared memory (shared_footprint: A's and B's tiles, twice with the pipeline, and a staged
  output tile, all together, in 16s for i, j and k) has that tile drawn first within its bound
  (the tile: the pieces of the levels the shared tiles span, the warp level and those under the
  fetch's; the blockIdx levels are not in it);
- the output accumulates in "wmma.accumulator" fragments (cache_write at level 3, under the
  warp loop), stored back 16x16 at a time by the store intrinsic; when the output is not the
  function's (an epilogue such as bias + relu follows), the fragments are stored to a shared
  tile and the warp's lanes copy it out, so AutoInline fuses the epilogue into that copy;
- A and B are staged in shared memory at level 4 (cooperative fetches over the warps and their
  lanes: the fetch blocks carry `warp_execution`), and from there into "wmma.matrix_a/_b"
  fragments under the innermost reduction tile, 16x16 at a time;
- with `use_software_pipeline=True`, the loop holding the shared fetches is pipelined
  (software_pipeline.py: fetches of iteration k + 1 overlap the compute of k, cp.async on sm_80+;
  `pipeline_stages=S` fetches S - 1 iterations ahead, S copies of each shared tile);
- `intrin_groups` name the intrinsics, by default wmma's (tir/tensor_intrin/cuda.py: fp32 and
  fp16 accumulation, each for B [K, N] and B [N, K]); the mma.sync + ldmatrix group
  (cuda_mma.get_mma_intrin_group) is the alternative, its fragments the per-lane registers of
  the "m16n8k16.*" scopes;
  a group whose product reads B [j, k] (intrin_names(..., trans_b=True), the default's last two,
  or get_mma_intrin_group(trans_b=True)) serves an NT GEMM (C[i, j] += A[i, k] * B[j, k],
  torch's `x @ W.T`) as it is: B's shared tile and fragments keep its [N, K] layout (a col_major
  wmma fragment; ldmatrix without .trans), where without one it gets a re-laid-out copy;
- every block to tensorize is annotated `meta_schedule.auto_tensorize` with its intrinsic (the
  reduction's init, split off later by RewriteReductionBlock, via `..._init`); RewriteTensorize
  applies them.

A stride-1 NHWC conv2d matches as an implicit GEMM over (w, co, ci), with n, h and the kernel
window as outer loops (the rows of a 16x16 input tile are 16 consecutive w + rw). A block whose
operands are indexed otherwise (a strided conv's window h*s + rh, w*s + rw; a transposed A or B;
an output in another order) first gets GEMM-shaped copies, as the reference does: `reindex`
(read or write) and `transform_layout` (tensor_core_layout.py). i, j or k extents that are not
multiples of 16 (a GMM of 100x200x72, a conv with 3 input channels) are then padded to them by
`pad_einsum` (zero-padded input copies; the output written padded and cut back after). These
copies are folded into the GEMM's kernel (tensor_core_fusion.py): the input copies into the
shared-memory fetches, the output copies into the write-back stage, which an output that is not
the function's always has. A block that still does not match (other dtypes, non-constant
extents) is left to the rules after it (the plain CUDA tiling): the result is [sch]. The
reference's transform_block_layout (fusing n, h, w into one GEMM row axis) is not built here.
"""

from __future__ import annotations

from ..schedule import ScheduleError
from ..schedule.primitives.tensorize import match
from ..tir import Add, BufferLoad, BufferStore, Cast, Mul, Var
from ..tir.tensor_intrin import TensorIntrin
from ..tir.tensor_intrin.cuda import WMMA_K, WMMA_M, WMMA_N, intrin_names
from ..tir.tensor_intrin.tile_desc import b_transposed
from .block_analysis import TILING_KEY, BlockInfo
from .multi_level_tiling import MultiLevelTiling, _State
from .multi_level_tiling_cuda import (
    COOPERATIVE_FETCH_KEY,
    bounded_split,
    shared_tile_caps,
    staged_levels,
    vector_lens_for,
)
from .software_pipeline import annotate_pipeline, has_async_copy
from .tensor_core_fusion import block_names, fold_into_fetch, fold_into_write_back
from .tensor_core_layout import advances_with, layout_steps

AUTO_TENSORIZE_KEY = "meta_schedule.auto_tensorize"
AUTO_TENSORIZE_INIT_KEY = "meta_schedule.auto_tensorize_init"
WARP_EXECUTION_KEY = "warp_execution"
WARP = 32


def _operand(e, dtype):
    """The BufferLoad under an optional cast to `dtype`, else None."""
    if isinstance(e, Cast) and e.dtype == dtype:
        e = e.value
    return e if isinstance(e, BufferLoad) and e.dtype == "float16" else None


def _operands(info):
    """(block, its store, A and B loads, accumulator dtype) of a block C[...] = C[...] + A[...] *
    B[...] on float16 inputs (each optionally cast to the accumulator's float16 or float32),
    with an init and trivial bindings; None otherwise."""
    b = info.block
    body = b.body
    if b.init is None or not isinstance(body, BufferStore) or len(b.writes) != 1 or not info.trivial_binding():
        return None
    out = body.buffer.dtype
    if out not in ("float16", "float32") or not isinstance(body.value, Add) or not isinstance(body.value.b, Mul):
        return None
    acc, prod = body.value.a, body.value.b
    if not (isinstance(acc, BufferLoad) and acc.buffer is body.buffer):
        return None
    a, bb = _operand(prod.a, out), _operand(prod.b, out)
    if a is None or bb is None or len(body.indices) < 2 or len(a.indices) < 2 or len(bb.indices) < 2:
        return None
    return b, body, a, bb, out


def gemm_axes(info, trans_b: bool = False):
    """(i, j, k iterator positions, A read index, B read index, accumulator dtype) of a block
    computing C[..., i, j] = C[..., i, j] + A[..., i + x, k] * B[..., k, j] (x free of i: other
    reduction axes, so a stride-1 NHWC conv2d is an implicit GEMM over (w, co, ci)) on float16
    inputs with a float16 or float32 accumulator, constant extents and trivial bindings; None
    otherwise (tensorize's match is the final check). With `trans_b`, B is B[..., j, k]
    instead (an NT GEMM: a linear layer's weight). `intrin_padding` says whether i, j, k
    need padding to the intrinsic's tile first."""
    parts = _operands(info)
    if parts is None:
        return None
    b, body, a, bb, out = parts
    ivs = [iv.var for iv in b.iter_vars]
    pos = {id(v): n for n, v in enumerate(ivs)}
    i, j = body.indices[-2:]
    ai, ak = a.indices[-2:]
    bk, bj = bb.indices[-2:][::-1] if trans_b else bb.indices[-2:]
    if not all(isinstance(x, Var) and id(x) in pos for x in (i, j, ak, bk, bj)):
        return None
    if not isinstance(i, Var) or not advances_with(ai, i) or bj is not j or ak is not bk:
        return None
    n_i, n_j, n_k = pos[id(i)], pos[id(j)], pos[id(ak)]
    kinds, ext = info.kinds(), info.extents()
    if kinds[n_i] != "spatial" or kinds[n_j] != "spatial" or kinds[n_k] != "reduce":
        return None
    if any(ext[n] is None for n in (n_i, n_j, n_k)):
        return None
    index = {id(r.buffer): n for n, r in enumerate(b.reads)}
    if id(a.buffer) not in index or id(bb.buffer) not in index or a.buffer is bb.buffer:
        return None
    return n_i, n_j, n_k, index[id(a.buffer)], index[id(bb.buffer)], out


def intrin_padding(info, axes):
    """pad_einsum's padding that makes i, j, k multiples of the intrinsic's 16x16x16 tile (1 for
    the other iterators), or None when they already are."""
    n_i, n_j, n_k = axes[:3]
    ext = info.extents()
    padding = [1] * len(ext)
    for n, size in ((n_i, WMMA_M), (n_j, WMMA_N), (n_k, WMMA_K)):
        if ext[n] % size:
            padding[n] = size
    return padding if any(p > 1 for p in padding) else None


class MultiLevelTilingTensorCore(MultiLevelTiling):
    def __init__(self, intrin_groups=None, structure: str = "SSSRRSRS",
                 tile_binds=("blockIdx.y", "blockIdx.x", "threadIdx.y"), max_innermost_factor: int = 4,
                 vector_load_lens=(1, 2, 3, 4, 8, 16), reuse_read=None, reuse_write=None,
                 use_software_pipeline: bool = False, pipeline_stages: int = 2):
        super().__init__(structure, list(tile_binds), max_innermost_factor, list(vector_load_lens or []),
                         reuse_read if reuse_read is not None else {"req": "must", "levels": [4], "scope": "shared"},
                         reuse_write if reuse_write is not None else {"req": "must", "levels": [3],
                                                                      "scope": "wmma.accumulator"},
                         None, vector_tiling=False)
        self.intrin_groups = [dict(g) for g in (intrin_groups or [intrin_names(out, trans_b=trans) for trans in
                                                                  (False, True) for out in ("float32", "float16")])]
        for group in self.intrin_groups:
            missing = {"init", "load_a", "load_b", "compute", "store"} - set(group)
            if missing:
                raise ValueError(f"MultiLevelTilingTensorCore: intrin group {group} lacks {sorted(missing)}")
            for name in group.values():
                TensorIntrin.get(name)
        self.use_software_pipeline = bool(use_software_pipeline)
        if int(pipeline_stages) < 2:
            raise ValueError(f"MultiLevelTilingTensorCore: pipeline_stages must be at least 2, not {pipeline_stages}")
        self.pipeline_stages = int(pipeline_stages)  # copies of each shared tile in the pipeline
        self.max_shared_memory_per_block = None
        self.async_copy = False  # cp.async in the pipeline: a target of sm_80 or newer

    def _initialize_with_tune_context(self, context) -> None:
        """The shared-memory limit the block tiles are bounded by (a CUDA target's; VerifyGPUCode
        checks the other limits)."""
        target = getattr(context, "target", None)
        if target is not None and target.kind == "cuda":
            self.max_shared_memory_per_block = target.max_shared_memory_per_block
            self.async_copy = has_async_copy(target)

    def _block_caps(self, info, ijk, staged) -> list:
        """Per iterator, the bound on its shared tile (in 16-row tiles for i, j, k; `staged`: how
        many of its pieces out of all the tile spans) that keeps the shared fetches of A and B
        (one copy per pipeline buffer) and the staged output tile of an output that is not the
        function's within the limit together (shared_footprint), None where unbounded. i, j and
        k come in 16s (the intrinsic's tile), so their bounds do."""
        ext = info.extents()
        if not self.max_shared_memory_per_block or None in ext:
            return [None] * len(ext)
        granules = [16 if k in ijk else 1 for k in range(len(ext))]
        caps = shared_tile_caps(info.block, ext, staged, self.max_shared_memory_per_block,
                                output=not info.is_output(), granules=granules,
                                copies=self.pipeline_stages if self.use_software_pipeline else 1)
        return [None if c is None else c // g for c, g in zip(caps, granules)]

    def _group(self, out_dtype, trans_b: bool = False):
        """The first intrinsic group accumulating in `out_dtype` whose product reads B [k, j]
        (or, with `trans_b`, [j, k]); None if there is none."""
        for group in self.intrin_groups:
            desc = TensorIntrin.get(group["compute"]).desc
            if desc.params[-1].dtype == out_dtype and b_transposed(desc) == trans_b:
                return group
        return None

    def _nt_axes(self, info):
        """gemm_axes of an NT GEMM (B read [..., j, k]) when a group reads B in that layout
        (mma.sync's transposed-B intrinsics), so B needs no re-laid-out copy; else None."""
        axes = gemm_axes(info, trans_b=True)
        return axes if axes is not None and self._group(axes[-1], trans_b=True) is not None else None

    def apply(self, sch, block) -> list:
        info = BlockInfo(sch, block)
        if info.annotation(TILING_KEY) is not None:
            return [sch]
        axes = gemm_axes(info)
        nt = self._nt_axes(info) if axes is None else None
        axes, trans_b = (nt, True) if nt is not None else (axes, False)
        parts = _operands(info) if axes is None else None
        steps = layout_steps(*parts[:4]) if parts is not None else None  # GEMM-shaped copies first
        out_dtype = axes[-1] if axes is not None else parts[-1] if steps else None
        group = self._group(out_dtype, trans_b) if out_dtype is not None else None
        if group is None:
            return [sch]
        try:
            new = sch.copy()
            before = block_names(new)
            for buffer, layout in steps or ():
                new.reindex(new.get_block(info.name), buffer)
                if layout is not None:
                    new.transform_layout(new.get_block(info.name), buffer, layout)
            if steps:
                info = BlockInfo(new, new.get_block(info.name))
                axes = gemm_axes(info)
                if axes is None:
                    return [sch]
            padding = intrin_padding(info, axes)
            if padding is not None:  # the output becomes a padded copy, cut back after
                new.pad_einsum(new.get_block(info.name), padding)
            self._apply(new, new.get_block(info.name), axes, group, block_names(new) - before)
        except ScheduleError:
            return [sch]
        return [new]

    def _apply(self, sch, block, axes, group, created=frozenset()) -> None:
        """Tile `block` onto `group`; `created` names the copies apply made around it (folded
        into the fetches and the write-back)."""
        n_i, n_j, n_k, a_index, b_index, _ = axes
        name = sch.get(block).name
        sch.annotate(block, TILING_KEY, self.structure)
        loops = sch.get_loops(block)
        info = BlockInfo(sch, block)
        kinds = info.kinds()
        tiles = [[] for _ in self.structure]
        s_levels = [i for i, c in enumerate(self.structure) if c == "S"]
        r_levels = [i for i, c in enumerate(self.structure) if c == "R"]
        fetch = self.reuse_read["levels"][0]
        staged = [(staged_levels(lv, fetch, self.tile_binds), len(lv))
                  for lv in (s_levels if kind == "spatial" else r_levels for kind in kinds)]
        caps = self._block_caps(info, (n_i, n_j, n_k), staged)
        inner = []
        for k, (loop, kind) in enumerate(zip(loops, kinds)):
            if k in (n_i, n_j, n_k):
                loop, last = sch.split(loop, [None, 16])
                inner.append(last)
            levels = s_levels if kind == "spatial" else r_levels
            for level, piece in zip(levels, bounded_split(sch, loop, len(levels), staged[k][0], caps[k], self._split)):
                tiles[level].append(piece)
        by_loop = dict(zip(sorted((n_i, n_j, n_k)), inner))
        inner = [by_loop[n_i], by_loop[n_j], by_loop[n_k]]
        sch.reorder(*[lp for level in tiles for lp in level], *inner)
        for level, tag in enumerate(self.tile_binds):
            fused = sch.fuse(*tiles[level]) if len(tiles[level]) > 1 else tiles[level][0]
            sch.bind(fused, tag)
            tiles[level] = [fused]
        state = _State(sch, tiles)
        warp_loop = self._level_loop(state, self.reuse_write["levels"][0])
        staged = None
        if not BlockInfo(sch, block).is_output():  # an epilogue or a copy reads a shared tile
            staged = sch.cache_write(block, 0, "shared")
        scope = TensorIntrin.get(group["compute"]).desc.params  # the fragments' scopes: wmma or mma.sync
        store = sch.cache_write(block, 0, scope[-1].scope)
        sch.reverse_compute_at(store, warp_loop, preserve_unit_loops=True)
        store_intrin = group["store"] if staged is None else group["store"].replace("_global", "_shared")
        if TensorIntrin.get(store_intrin, allow_missing=True) is None:
            raise ScheduleError(f"no intrinsic {store_intrin!r} to store the fragments to a shared tile")
        self._tile_2d(sch, store, store_intrin)
        if staged is not None:
            sch.reverse_compute_at(staged, warp_loop, preserve_unit_loops=True)
            out = sch.get(staged).writes[0].buffer
            loops = sch.get_loops(staged)[-len(out.shape):]
            _, lanes = sch.split(sch.fuse(*loops), [None, WARP])
            sch.bind(lanes, "threadIdx.x")
            fold_into_write_back(sch, staged, created)
        rlevel = len(self.structure) - 1  # the fragments: under the innermost reduction tile
        for index, op in ((a_index, "load_a"), (b_index, "load_b")):
            shared = sch.cache_read(block, index, self.reuse_read["scope"])
            fold_into_fetch(sch, shared, created)
            frag = sch.cache_read(block, index, scope[0 if op == "load_a" else 1].scope)
            sch.compute_at(frag, self._level_loop(state, rlevel), preserve_unit_loops=True)
            self._tile_2d(sch, frag, group[op])
            self._fetch(sch, shared, self._level_loop(state, self.reuse_read["levels"][0]))
        if self.use_software_pipeline:  # the fetches of A and B, then the compute reading them
            annotate_pipeline(sch, self._level_loop(state, self.reuse_read["levels"][0]), 2, self.async_copy,
                              self.pipeline_stages)
        block = sch.get_block(name)
        # the check of the intrinsic's description, init aside: a mismatch falls back to [sch]
        match(sch.get(sch.get_loops(block)[-3]), TensorIntrin.get(group["compute"]).desc, ignore_init=True)
        sch.annotate(block, AUTO_TENSORIZE_KEY, group["compute"])
        sch.annotate(block, AUTO_TENSORIZE_INIT_KEY, group["init"])

    def _tile_2d(self, sch, block, intrin) -> None:
        """Split a copy block's last two loops by 16 and mark the 16x16 nest for `intrin`."""
        *_, r, c = sch.get_loops(block)
        r0, r1 = sch.split(r, [None, 16])
        c0, c1 = sch.split(c, [None, 16])
        sch.reorder(r0, c0, r1, c1)
        sch.annotate(block, AUTO_TENSORIZE_KEY, intrin)

    def _fetch(self, sch, cache, loop) -> None:
        sch.compute_at(cache, loop, preserve_unit_loops=True)
        buf = sch.get(cache).writes[0].buffer
        loops = sch.get_loops(cache)[-len(buf.shape):]
        fused = sch.fuse(*loops) if len(loops) > 1 else loops[0]
        lens = vector_lens_for(buf.dtype, self.vector_load_lens)
        vec = lens[0] if len(lens) == 1 else sch.sample_categorical(lens, [1.0 / len(lens)] * len(lens))
        sch.annotate(fused, COOPERATIVE_FETCH_KEY, vec)
        sch.annotate(cache, WARP_EXECUTION_KEY, 1)
