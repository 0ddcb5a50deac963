"""A hand-written space for matmul-like workloads (GMM, BMM, GEMV, TBG), shaped like a BLAS
micro-kernel so that random sampling lands among fast programs rather than around them.

After producers are inlined, the reduction block's loops become

    [batch..., j0] (fused, parallel)  i1  k0  k1 (unrolled)  i2 (mr, unrolled)  j1 (nr, vector)

with an `mr` x `nr` accumulator in a "local" cache_write buffer written back under i1, the
reduction's initialisation decomposed out of k, and (in the packing design spaces) the panel of
the j-indexed input ([K][nr], B for a matmul) copied contiguously once per j0 by a cache_read
computed at j0, so the kernel streams it without large-stride cache conflicts.

Decisions only pick factors: nr by sample_categorical among multiples of the vector width that
divide the column extent (else among its largest divisors), mr among the small divisors of the
row extent, and how far the innermost reduction loop is unrolled around the register tile. The
candidate lists come from the program, so the trace's structure never depends on a decision
and replaying it with fresh decisions (ReplayTrace) stays valid. Structural choices are
separate design spaces: packed (when enough rows reuse the panel); unpacked (when the panel
input fits in L2 or packing does not pay); and, for tiny kernels where starting threads costs
more than it saves, serial variants of those.
"""

from __future__ import annotations

from ..schedule import ScheduleError
from .tiling import inline_producers, main_block

# Rows of the register tile: few enough that its accumulators stay in vector registers.
_MAX_ROWS = 12
# Columns of the register tile, in vectors.
_COL_VECTORS = (1, 2, 4)
# Unrolling of the reduction loop around the register tile (those dividing its extent, else 1).
_K_UNROLL = (2, 4, 8)
# A panel input up to this size stays in L2 unpacked, so only then is there a no-pack design
# space too (unpacked, a large B with a power-of-two row stride thrashes the cache: 3-5x slower
# for GMM-1024 with 4-row tiles).
_UNPACKED_MAX_BYTES = 1 << 20
# A packed panel is reused by every row tile: with fewer rows than this (GEMV) copying it costs
# more than it saves.
_PACK_MIN_ROWS = 16
# Kernels with fewer multiply-adds than this also get serial design spaces.
_TINY_WORK = 1 << 22


def _divisors(n: int, limit: int) -> list:
    return [d for d in range(1, min(n, limit) + 1) if n % d == 0]


def column_factors(extent: int, lanes: int) -> list:
    """nr candidates: whole vectors that divide `extent`, else its (up to 3) largest divisors
    no wider than four vectors (a non-dividing factor would leave a scalar tail), 1 only when
    nothing else divides (see row_factors)."""
    vectors = [lanes * v for v in _COL_VECTORS if extent % (lanes * v) == 0]
    return vectors or [d for d in _divisors(extent, lanes * _COL_VECTORS[-1]) if d > 1][-3:] or [1]


def row_factors(extent: int, nr_max: int, lanes: int) -> list:
    """mr candidates: divisors of `extent` up to 12 that keep mr * nr_max / lanes accumulators
    within 24 vector registers, 8 rows always allowed (8 x 4 vectors measured as fast as 8 x 2
    on Zen 4). Not 1 while another divisor exists: a one-row tile leaves the write-back block
    one loop short, so a trace drawn with mr=1 would have a different structure."""
    budget = max(24 * lanes // nr_max, 8)
    rows = _divisors(extent, min(_MAX_ROWS, budget))
    return [r for r in rows if r > 1] or rows


def _bytes(buffer) -> int:
    from ..tir import bytes_of

    size = bytes_of(buffer.dtype)
    for dim in buffer.shape:
        size *= int(getattr(dim, "value", dim))
    return size


def _loop_kinds(sch, block) -> list:
    from ..tir import Block, collect

    func = sch.mod[sch.mod.get_global_vars()[0]]
    node = next(b for b in collect(func.body, Block) if b.name == sch.get(block).name)
    kinds = [iv.kind for iv in node.iter_vars]
    if len(sch.get_loops(block)) != len(kinds):
        raise ScheduleError(f"matmul_space: block {node.name!r} has {len(kinds)} iterators but "
                            f"{len(sch.get_loops(block))} loops")
    if kinds.count("spatial") < 1 or "reduce" not in kinds:
        raise ScheduleError(f"matmul_space: block {node.name!r} is not a reduction with a "
                            f"spatial output dimension (iterators {kinds})")
    return kinds


def _panel_input(node) -> int:
    """Index of the read buffer indexed by the last spatial and a reduction iterator (B)."""
    from ..tir import Var, collect

    j = [iv.var for iv in node.iter_vars if iv.kind == "spatial"][-1]
    ks = {iv.var for iv in node.iter_vars if iv.kind == "reduce"}
    for n, region in enumerate(node.reads):
        used = {v for r in region.region for v in collect(r.min, Var)}
        if any(v is j for v in used) and any(v in ks for v in used):
            return n
    return -1


def _micro_kernel(sch, block, kinds, lanes: int, pack: bool, parallel: bool) -> None:
    loops = sch.get_loops(block)
    spatial = [lp for lp, k in zip(loops, kinds) if k == "spatial"]
    reduce = [lp for lp, k in zip(loops, kinds) if k == "reduce"]
    extent = lambda lp: sch.get(lp).extent.value  # noqa: E731
    batch, j = spatial[:-2], spatial[-1]
    i = spatial[-2] if len(spatial) > 1 else None
    cols = column_factors(extent(j), lanes)
    # The widest tile halves the panels to share among threads and quadruples the packed panel
    # that must stay in cache: half as likely.
    nr = sch.sample_categorical(cols, [1.0] * (len(cols) - 1) + [0.5 if len(cols) > 1 else 1.0])
    j0, j1 = sch.split(j, [None, nr])
    ks = [u for u in _K_UNROLL if extent(reduce[-1]) % u == 0] or [1]
    ku = sch.sample_categorical(ks, [1.0] * len(ks))
    k0, k1 = sch.split(reduce[-1], [None, ku])
    reduce = [*reduce[:-1], k0, k1]
    order = [*batch, j0]
    if i is not None:
        rows = row_factors(extent(i), max(cols), lanes)
        mr = sch.sample_categorical(rows, [float(r * r) for r in rows])  # taller: more reuse
        i1, i2 = sch.split(i, [None, mr])
        order += [i1, *reduce, i2, j1]
        tile = i1
    else:
        order += [*reduce, j1]
        tile = j0
    sch.reorder(*order)
    acc = sch.cache_write(block, 0, "local")
    sch.reverse_compute_at(acc, tile)
    tails = [acc]
    panel = _panel_input(sch.get(block))
    if pack and panel >= 0:
        packed = sch.cache_read(block, panel, "global")
        sch.compute_at(packed, j0)
        sch.vectorize(sch.get_loops(packed)[-1])
    tails.append(sch.decompose_reduction(block, reduce[0]))
    sch.unroll(k1)
    if i is not None:
        sch.unroll(i2)
    sch.vectorize(j1)
    for tail in tails:
        tail_loops = sch.get_loops(tail)
        if i is not None:
            sch.unroll(tail_loops[-2])
        sch.vectorize(tail_loops[-1])
    if parallel:
        sch.parallel(sch.fuse(*batch, j0) if batch else j0)


def matmul_space(sch, lanes: int | None = None) -> list:
    """Design spaces (see the module docstring); `lanes` is the vector width in elements
    (default: the host target's vector bytes / 4, float32)."""
    if lanes is None:
        from ..target import Target

        lanes = max(Target.host().vector_bytes // 4, 1)
    block = main_block(sch)
    inline_producers(sch, block)
    kinds = _loop_kinds(sch, block)
    work = 1
    for lp in sch.get_loops(block):
        work *= sch.get(lp).extent.value
    panel = _panel_input(sch.get(block))
    spatial = [lp for lp, k in zip(sch.get_loops(block), kinds) if k == "spatial"]
    rows = sch.get(spatial[-2]).extent.value if len(spatial) > 1 else 1
    pack = panel >= 0 and rows >= _PACK_MIN_ROWS
    shapes = [(True, True)] if pack else []
    if not pack or _bytes(sch.get(block).reads[panel].buffer) <= _UNPACKED_MAX_BYTES:
        shapes.append((False, True))
    if work < _TINY_WORK:
        shapes += [(p, False) for p, _ in shapes]
    spaces = [sch.copy() for _ in shapes[1:]]
    for space, (packed, parallel) in zip([sch, *spaces], shapes):
        _micro_kernel(space, block, kinds, lanes, packed, parallel)
    return [sch, *spaces]
