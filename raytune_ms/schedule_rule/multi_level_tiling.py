"""MultiLevelTiling: tile a block that reuses its inputs (a matmul, a convolution) into levels
given by a structure string — "SSRSRS" on CPUs: spatial loops split four ways into levels
0, 1, 3, 5 and reduction loops two ways into levels 2 and 4 — then add reuse stages.

Write reuse ("may" at levels [1, 2] by default): either the block's only consumer, if it is an
element-wise stage, is computed tile by tile under the last loop of level L-1, or the output
goes through a cache_write buffer written back there; "may" keeps the state without it.

Beyond the reference, on a CPU target (`vector_tiling`) the innermost tile has the shape of a
BLAS micro-kernel sized by the target's vector width and register file:

- the fastest-varying output axis (the last index of the write) gets an innermost factor that
  is a whole number of vectors, if its extent is a multiple of the vector width, and one other
  spatial axis (the last non-unit one: the rows) an innermost number of rows; rows and vectors
  are drawn together (sample_joint_categorical) among the tiles whose accumulators fit the
  register file next to the loads and a broadcast (`register_tile`: AVX-512 reaches 8 x 2 and
  4 x 4 vectors, AVX2 4 x 2); the other spatial axes keep an innermost factor of 1, so the
  register tile is rows x vectors;
- the spatial factors of the level above the innermost (level 3 of SSRSRS) are 1, so the
  write cache at level 2 is exactly that register tile, accumulated across the whole inner
  reduction loop (a random spread of the factors over four levels almost never gives it);
- read reuse (`reuse_read`, CPU "panel" packing) copies the input indexed by that output axis
  and a reduction axis (B of a matmul) by cache_read under that axis' outer tile loop, moved
  first in level 0 (for level 1; else under the last loop of level L-1): every row tile
  reuses the packed panel, and the kernel streams a contiguous [K][width] panel instead of
  rows a large power of two apart. Without packing the loops keep the block's order.
  With "may", a panel reused by fewer than 16 output rows is never packed (copying costs more
  than it saves: GEMV), and a panel input larger than 1 MiB always is (unpacked it thrashes
  the caches: GMM-1024 unpacked is 3-5x slower).

An intermediate output whose last axis is no whole number of vectors (an NCHW convolution's
width) is first laid out with a vectorizable axis last (`vector_layout`), and the register
tile's vector loop is innermost whatever the block's axis order.

The candidate factor lists come from the program and the target, never from a decision, so
the trace's structure does not depend on what was sampled; replaying it with fresh decisions
(ReplayTrace) stays inside the space.
"""

from __future__ import annotations

from ..schedule import ScheduleError
from ..schedule.tree import block_path
from ..tir import IndexMap, Var, bytes_of, collect
from .block_analysis import TILING_KEY, BlockInfo, injective_ordered, needs_multi_level_tiling
from .register_tile import register_tiles, tile_weight
from .schedule_rule import ScheduleRule
from .vector_layout import vector_axis_last

WRITE_CACHE_LEVEL_KEY = "s_tir.meta_schedule.write_cache_level"
_REQS = ("no", "may", "must")
# Panel packing: reused by at least this many rows to pay, always packed above this size.
_PACK_MIN_ROWS = 16
_UNPACKED_MAX_BYTES = 1 << 20


def reuse_config(cfg, what) -> dict:
    """A ReuseType dict {"req": "no"|"may"|"must", "levels": [ints], "scope": str}."""
    if cfg is None:
        return {"req": "no", "levels": [], "scope": "global"}
    if not isinstance(cfg, dict) or set(cfg) - {"req", "levels", "scope"}:
        raise ValueError(f"MultiLevelTiling {what} must be a dict with keys req, levels, scope; got {cfg!r}")
    req = cfg.get("req", "no")
    if req not in _REQS:
        raise ValueError(f"MultiLevelTiling {what}: req must be one of {_REQS}, got {req!r}")
    levels = [int(x) for x in cfg.get("levels", [])]
    return {"req": req, "levels": levels, "scope": str(cfg.get("scope", "global"))}


class _State:
    """A schedule being tiled: its loops per tile level, and the outermost loop of the output's
    column panel (where a packed panel is computed), if any."""

    __slots__ = ("sch", "tiles", "panel")

    def __init__(self, sch, tiles, panel=None):
        self.sch = sch
        self.tiles = tiles
        self.panel = panel

    def copy(self):
        return _State(self.sch.copy(), self.tiles, self.panel)


class MultiLevelTiling(ScheduleRule):
    def __init__(self, structure: str = "SSRSRS", tile_binds=None, max_innermost_factor: int = 64,
                 vector_load_lens=None, reuse_read=None, reuse_write=None, filter_fn=None,
                 vector_tiling: bool = True):
        if not structure or set(structure) - {"S", "R"}:
            raise ValueError(f"MultiLevelTiling structure must be a string of S and R, got {structure!r}")
        self.structure = structure
        self.tile_binds = list(tile_binds or [])
        self.max_innermost_factor = int(max_innermost_factor)
        self.vector_load_lens = list(vector_load_lens or [])
        self.reuse_read = reuse_config(reuse_read, "reuse_read")
        self.reuse_write = reuse_config(reuse_write, "reuse_write")
        self.filter_fn = filter_fn
        self.vector_tiling = bool(vector_tiling)
        self.lanes = None
        self.registers = None

    def _initialize_with_tune_context(self, context) -> None:
        target = context.target
        if target is not None and target.is_cpu:
            self.lanes = target.vector_lanes
            self.registers = target.vector_registers

    # ------------------------------------------------------------------ apply

    def apply(self, sch, block) -> list:
        info = BlockInfo(sch, block)
        wanted = self.filter_fn(sch, block) if self.filter_fn is not None else needs_multi_level_tiling(info)
        if not wanted or info.annotation(TILING_KEY) is not None:
            return [sch]
        permuted = self._vector_cpu() and vector_axis_last(sch, block, self.lanes)
        if permuted:
            info = BlockInfo(sch, block)
        sch.annotate(block, TILING_KEY, self.structure)
        states = [self._tile(sch, block, info)]
        states = self._write_reuse(states, block, permuted)
        states = self._read_reuse(states, block)
        return [s.sch for s in states]

    # ------------------------------------------------------------------ tiling

    def _vector_cpu(self) -> bool:
        return bool(self.vector_tiling and self.lanes and self.lanes >= 2 and self.registers)

    def _axes(self, info):
        """(vector axis, row axis) iterator positions for the CPU micro-kernel, or (None, None)."""
        if not self._vector_cpu():
            return None, None
        b = info.block
        ivs = list(b.iter_vars)
        last = b.writes[0].region[-1].min if b.writes[0].region else None
        pos = next((k for k, iv in enumerate(ivs) if iv.var is last), None)
        ext = info.extents()
        if pos is None or ivs[pos].kind != "spatial" or ext[pos] is None or ext[pos] % self.lanes:
            return None, None
        written = _row_vars(info, pos)
        rows = [k for k, iv in enumerate(ivs) if k != pos and iv.kind == "spatial"
                and id(iv.var) in written and ext[k] is not None and ext[k] > 1]
        return pos, (rows[-1] if rows else None)

    def _register_tile(self, sch, ext, vec, row) -> dict:
        """Innermost factors {axis: ExprRV} of the register tile, drawn jointly (rows with
        vectors) among the tiles that fit the register file; {} when none does."""
        rows_extent = ext[row] if row is not None else 1
        shapes = register_tiles(self.registers, self.lanes, rows_extent, ext[vec], self.max_innermost_factor)
        if not shapes:
            return {}
        probs = [tile_weight(r, v) for r, v in shapes]
        if row is None:
            return {vec: sch.sample_categorical([v * self.lanes for _, v in shapes], probs)}
        rows, cols = sch.sample_joint_categorical([(r, v * self.lanes) for r, v in shapes], probs)
        return {row: rows, vec: cols}

    def _split(self, sch, loop, n, fixed=(), limit=None):
        """Split `loop` into n pieces: sampled ones, then the constant factors `fixed`."""
        sampled = n - len(fixed)
        limit = self.max_innermost_factor if limit is None else limit
        return sch.split(loop, sch.sample_perfect_tile(loop, sampled, limit) + list(fixed))

    def _split_innermost(self, sch, loop, n, inner):
        """Split `loop` into n pieces: the innermost `inner` (a sampled ExprRV), the one above
        it 1 when there are 3 or more, the rest sampled."""
        outer, last = sch.split(loop, [None, inner])
        if n == 1:
            return [sch.fuse(outer, last)]
        return self._split(sch, outer, n - 1, (1,) if n >= 3 else ()) + [last]

    def _tile(self, sch, block, info) -> _State:
        kinds = info.kinds()
        ext = info.extents()
        vec, row = self._axes(info)
        inner = self._register_tile(sch, ext, vec, row) if vec is not None else {}
        if not inner:
            vec = row = None
        loops = sch.get_loops(block)
        tiles = [[] for _ in self.structure]
        s_levels = [i for i, c in enumerate(self.structure) if c == "S"]
        r_levels = [i for i, c in enumerate(self.structure) if c == "R"]
        for k, (loop, kind) in enumerate(zip(loops, kinds)):
            levels = s_levels if kind == "spatial" else r_levels if kind == "reduce" else None
            if not levels:
                continue
            n = len(levels)
            if k in inner:
                pieces = self._split_innermost(sch, loop, n, inner[k])
            elif vec is not None and kind == "spatial":  # outside the register tile
                pieces = self._split(sch, loop, n, (1, 1) if n >= 3 else (1,))
            else:
                pieces = self._split(sch, loop, n)
            for level, piece in zip(levels, pieces):
                tiles[level].append(piece)
            if k == vec:
                panel = pieces[0]
                vector_loop = pieces[-1]
        if vec is not None:  # the register tile's vector loop innermost, whatever the axis order
            tiles[s_levels[-1]].remove(vector_loop)
            tiles[s_levels[-1]].append(vector_loop)
        sch.reorder(*[lp for level in tiles for lp in level])
        return _State(sch, tiles, panel if vec is not None else None)

    # ------------------------------------------------------------------ reuse

    @staticmethod
    def _level_loop(state, level, panel=False):
        """The last loop of tile level `level - 1` (what "level L" means), or None; for a
        panel at level 1, the column panel's loop."""
        if not 1 <= level <= len(state.tiles) or not state.tiles[level - 1]:
            return None
        if panel and level == 1 and state.panel is not None:
            return state.panel
        return state.tiles[level - 1][-1]

    def _at_levels(self, state, levels, stage, panel=False) -> list:
        """A copy of `state` for each level at whose loop `stage(sch, loop)` succeeds."""
        out = []
        for level in levels:
            new = state.copy()
            loop = self._level_loop(new, level, panel)
            if loop is None:
                continue
            try:
                stage(new.sch, loop)
            except ScheduleError:
                continue
            out.append(new)
        return out

    def _write_reuse(self, states, block, permuted=False) -> list:
        cfg = self.reuse_write
        info = BlockInfo(states[0].sch, block)
        levels = cfg["levels"]
        req = cfg["req"]
        forced = info.annotation(WRITE_CACHE_LEVEL_KEY)
        if forced is not None:
            levels = [int(x) for x in (forced if isinstance(forced, (list, tuple)) else [forced])]
            req = "must"
        if req == "no":
            return states
        consumer = _fusible_consumer(info, ordered=not permuted)
        out = []
        for state in states:
            if consumer is not None:  # an element-wise consumer is the write stage itself
                out.append(state)
                out += self._at_levels(state, levels, lambda sch, loop: sch.reverse_compute_at(
                    sch.get_block(consumer), loop, preserve_unit_loops=True))
                continue
            if req == "may":
                out.append(state)
            out += self._at_levels(state, levels, lambda sch, loop: sch.reverse_compute_at(
                sch.cache_write(block, 0, cfg["scope"]), loop, preserve_unit_loops=True))
        return out or states

    def _read_reuse(self, states, block) -> list:
        cfg = self.reuse_read
        if cfg["req"] == "no" or not self.lanes:
            return states
        out = []
        for state in states:
            info = BlockInfo(state.sch, block)
            index = _panel_input(info)
            req = cfg["req"] if index < 0 else _packing_req(info, index, cfg["req"])
            if req == "no":
                out.append(state)
                continue
            if req == "may":
                out.append(state)
            out += self._at_levels(state, cfg["levels"], lambda sch, loop, index=index, state=state: _pack(
                sch, state, block, index, cfg["scope"], loop), panel=True)
        return out or states


def _pack(sch, state, block, index, scope, loop) -> None:
    """Copy read `index` of `block` into a cache computed under `loop`.

    A column panel's loop first goes outermost in level 0, so that every row tile reuses the
    packed panel (without packing, the loops keep their order: rows outermost, so a padding
    stage computed at a row tile is not redone for every column panel). The panel input is
    copied in the panel's order: the dimension the output's last axis indexes goes last, so
    that the micro-kernel's vector loads are contiguous (nn.Linear's weight [out, in] is read
    transposed: copied as is, each vector would gather `in` floats apart)."""
    if state.panel is not None and loop is state.panel:
        level0 = [lp for lp in state.tiles[0] if lp is not state.panel]
        sch.reorder(state.panel, *level0)
    info = BlockInfo(sch, block)
    dim = _vector_dim(info, index) if index == _panel_input(info) else None
    cache = sch.cache_read(block, index, scope)
    sch.compute_at(cache, loop, preserve_unit_loops=True)
    ndim = len(info.block.reads[index].region)
    if dim is not None and dim != ndim - 1:
        order = [d for d in range(ndim) if d != dim] + [dim]
        idx = [Var(f"i{d}", "int32") for d in range(ndim)]
        sch.transform_layout(cache, ("write", 0), IndexMap(idx, [idx[d] for d in order]))


def _vector_dim(info, index):
    """The dimension of read `index` that the output's last index variable indexes by itself,
    or None."""
    b = info.block
    last = b.writes[0].region[-1].min
    dims = [d for d, r in enumerate(b.reads[index].region) if r.min is last]
    return dims[0] if len(dims) == 1 else None


def _fusible_consumer(info, ordered=True):
    """The name of the block's only consumer if it is an element-wise stage whose reads map
    injectively and (if `ordered`) in order onto its write (it can be computed tile by tile),
    else None. A result whose layout vector_axis_last permuted is read out of order by its
    epilogue, which still runs tile by tile (the tile is transposed into the output)."""
    consumers = info.consumers()
    if len(consumers) != 1:
        return None
    node = block_path(info.func, consumers[0])[-1].block
    if any(iv.kind != "spatial" for iv in node.iter_vars):
        return None
    injective, in_order = injective_ordered(node)
    return consumers[0] if injective and (in_order or not ordered) else None


def _packing_req(info, index, req) -> str:
    """"may" narrowed by what packing the panel `index` costs and saves (module docstring)."""
    if req != "may":
        return req
    region = info.block.reads[index]
    used = {id(v) for r in region.region for v in collect(r.min, Var)}
    rows = 1
    for iv in info.block.iter_vars:
        if iv.kind == "spatial" and id(iv.var) not in used:
            rows *= getattr(iv.dom.extent, "value", _PACK_MIN_ROWS)
    if rows < _PACK_MIN_ROWS:
        return "no"
    buf = region.buffer
    size = bytes_of(buf.dtype)
    for dim in buf.shape:
        size *= int(getattr(dim, "value", dim))
    return "must" if size > _UNPACKED_MAX_BYTES else "may"


def _row_vars(info, pos) -> set:
    """Ids of the output's index variables that may be the register tile's rows: those the
    panel input (`_panel_input`) does not use, so that each vector loaded from it serves every
    row (a capsule conv's weight also varies with an output axis, which as rows would load one
    weight vector per accumulator); all of them if that leaves no row of extent > 1."""
    b = info.block
    written = {id(v) for r in b.writes[0].region for v in collect(r.min, Var)}
    index = _panel_input(info)
    if index < 0:
        return written
    used = {id(v) for r in b.reads[index].region for v in collect(r.min, Var)}
    free = written - used
    ext = info.extents()
    if any(k != pos and iv.kind == "spatial" and id(iv.var) in free and (ext[k] or 0) > 1
           for k, iv in enumerate(b.iter_vars)):
        return free
    return written


def _panel_input(info) -> int:
    """Index of the read buffer indexed by the output's last axis and a reduction axis (the B
    of a matmul: the panel the inner tile streams), else -1."""
    b = info.block
    last = b.writes[0].region[-1].min if b.writes and b.writes[0].region else None
    if not isinstance(last, Var):
        return -1
    reduce = {id(iv.var) for iv in b.iter_vars if iv.kind == "reduce"}
    written = {id(r.buffer) for r in b.writes}
    for n, region in enumerate(b.reads):
        if id(region.buffer) in written:
            continue
        used = {id(v) for r in region.region for v in collect(r.min, Var)}
        if id(last) in used and used & reduce:
            return n
    return -1

