"""The walk behind PerStoreFeature: raw (un-logged) feature values of every buffer store of a
lowered loop program (`codegen.lower`: loops, stores, loads, placed and compacted allocations).

The loop stack keeps every loop but unit serial loops without annotations (their variable is
its minimum). Per store of a non-constant value, for the stored buffer and each buffer its value
loads, the footprint at each loop level (the loops from that one inward relaxed to their range,
the outer ones at their minimum) is a bounding box. Affine index rows (most of them) are handled
together as one coefficient matrix with reverse cumulative sums over the loop levels; the
others (floordiv/floormod of fused loops, min/max, selects) by interval arithmetic on arrays
of levels. Footprints are clipped to the buffer's shape (a padded read under a guard touches no
element outside the buffer). See features.md for every value.
"""

from __future__ import annotations

import math
from bisect import bisect_left

import numpy as np

from ..codegen.lower import UNROLL_STEP_KEY
from ..codegen.lowered import Allocate
from ..tir import (
    EQ,
    GE,
    GT,
    LE,
    LT,
    NE,
    Add,
    And,
    BufferLoad,
    BufferStore,
    Call,
    Cast,
    Div,
    FloatImm,
    FloorDiv,
    FloorMod,
    For,
    IfThenElse,
    IntImm,
    Max,
    Min,
    Mul,
    Not,
    Or,
    Select,
    SeqStmt,
    Sub,
    Var,
)
from ..tir.affine import affine_form
from ..tir.dtype import bytes_of, is_float
from .compaction_plan import Compacted, built_ops

# group 1 arithmetic counters, in feature order (the float ones first)
ARITH = ("float_mad", "float_addsub", "float_mul", "float_divmod", "float_cmp", "float_mathfunc",
         "float_otherfunc", "int_mad", "int_addsub", "int_mul", "int_divmod", "int_cmp",
         "int_mathfunc", "int_otherfunc", "bool_op", "select_op")
NUM_FLOAT_ARITH = 7
_OP_SLOT = {Add: 1, Sub: 1, Mul: 2, Div: 3, FloorDiv: 3, FloorMod: 3, Max: 4, Min: 4, Call: 5}
_INT_CMP = (EQ, NE, LT, LE, GT, GE)
_BOOL_OPS = (And, Or, Not)
# the GPU extent features: a loop bound to the tag (for "vthread": to any vthread.* tag)
GPU_EXTENT_TAGS = ("blockIdx.x", "blockIdx.y", "blockIdx.z", "threadIdx.x", "threadIdx.y", "threadIdx.z",
                   "vthread")


class Loop:
    """One loop of the stack: its key (the For node's identity), variable, constant min and
    extent (1 when not constant), kind, thread tag and auto-unroll step."""

    __slots__ = ("key", "var", "min", "extent", "kind", "tag", "unroll_step")

    def __init__(self, f: For):
        self.key = id(f)
        self.var = f.loop_var
        self.min = f.min.value if isinstance(f.min, IntImm) else 0
        self.extent = f.extent.value if isinstance(f.extent, IntImm) else 1
        self.kind = f.kind
        self.tag = f.thread_tag
        step = f.annotation(UNROLL_STEP_KEY)
        self.unroll_step = int(step) if step is not None else 0


class StoreRow:
    """The raw features of one store: group 1 values, the per-buffer group 2 entries (unsorted),
    the group 3 curve, group 4 and group 5 values."""

    __slots__ = ("buffer", "group1", "buffers", "curve", "group4", "group5")


def scan_value(e, counts: list, loads: list) -> None:
    """Add the arithmetic of `e` (loads' index arithmetic included) to the 16 ARITH counters
    and append its BufferLoads to `loads`, in one walk."""
    stack = [e]
    while stack:
        n = stack.pop()
        t = type(n)
        slot = _OP_SLOT.get(t)
        if slot is not None:
            counts[slot if is_float(n.dtype) else slot + NUM_FLOAT_ARITH] += 1
        elif t in _INT_CMP:
            counts[11] += 1
        elif t in _BOOL_OPS:
            counts[14] += 1
        elif t is Select:
            counts[15] += 1
        if t is BufferLoad:
            loads.append(n)
            stack.extend(reversed(n.indices))
        elif t is Select:
            stack.extend((n.false_value, n.true_value, n.condition))
        elif t is Not:
            stack.append(n.a)
        elif t is Cast:
            stack.append(n.value)
        elif t is Call:
            stack.extend(reversed(n.args))
        elif hasattr(n, "b"):
            stack.append(n.b)
            stack.append(n.a)


def scan(store) -> tuple:
    """(the 16 ARITH counters, the loads) of a store's value."""
    counts = [0] * len(ARITH)
    loads: list = []
    scan_value(store.value, counts, loads)
    return counts, loads


def shifted_forms(c: Compacted, indices) -> tuple:
    """A compacted buffer's access indices: a shifted dimension as its affine form (the inner
    terms, the constant less the box start), the others as they are."""
    out = []
    for e, start in zip(indices, c.starts):
        if start is None:
            out.append(e)
        else:
            coefs, const = c.forms[id(e)]
            out.append((coefs, const - start))
    return tuple(out)


def shifted_ops(c: Compacted, indices, counts: list) -> None:
    """Count a compacted buffer's load indices as compaction leaves them (the simplifier's
    canonical form of each shifted dimension) instead of as written."""
    for e, start in zip(indices, c.starts):
        if start is not None:
            written = [0] * len(ARITH)
            scan_value(e, written, [])
            for k, v in enumerate(written):
                counts[k] -= v
            coefs, const = c.forms[id(e)]
            addsub, muls = built_ops(list(coefs.values()), const - start)
            counts[1 + NUM_FLOAT_ARITH] += addsub
            counts[2 + NUM_FLOAT_ARITH] += muls


# ----------------------------------------------------------------------------- non-affine rows


def _interval(e, lo_of: dict, hi_of: dict):
    """(lo, hi) over the loop levels of an index expression (floats or arrays of levels), or
    None if unknown."""
    t = type(e)
    if t is IntImm:
        return float(e.value), float(e.value)
    if t is Var:
        key = id(e)
        if key in lo_of:
            return lo_of[key], hi_of[key]
        return 0.0, 0.0  # a removed unit loop, bound to its min (0)
    if t is Cast:
        return _interval(e.value, lo_of, hi_of)
    if t in (Add, Sub, Mul, Min, Max, FloorDiv, FloorMod):
        a = _interval(e.a, lo_of, hi_of)
        b = _interval(e.b, lo_of, hi_of)
        if a is None or b is None:
            return None
        (al, ah), (bl, bh) = a, b
        if t is Add:
            return al + bl, ah + bh
        if t is Sub:
            return al - bh, ah - bl
        if t is Min:
            return np.minimum(al, bl), np.minimum(ah, bh)
        if t is Max:
            return np.maximum(al, bl), np.maximum(ah, bh)
        if t is Mul:
            if isinstance(e.b, IntImm):
                return (al * bl, ah * bl) if bl >= 0 else (ah * bl, al * bl)
            p = np.stack(np.broadcast_arrays(al * bl, al * bh, ah * bl, ah * bh))
            return p.min(axis=0), p.max(axis=0)
        if not isinstance(e.b, IntImm) or e.b.value <= 0:
            return None
        c = float(e.b.value)
        ql, qh = np.floor_divide(al, c), np.floor_divide(ah, c)
        if t is FloorDiv:
            return ql, qh
        same = ql == qh
        return np.where(same, al - c * ql, 0.0), np.where(same, ah - c * qh, c - 1.0)
    if t is Select:
        a = _interval(e.true_value, lo_of, hi_of)
        b = _interval(e.false_value, lo_of, hi_of)
        if a is None or b is None:
            return None
        return np.minimum(a[0], b[0]), np.maximum(a[1], b[1])
    return None


def _coefs(e, pos: dict) -> dict:
    """Approximate linear coefficients {loop position: coef} of a non-affine index: floordiv by
    c scales by 1/c, floormod keeps the coefficient, min/max/select take the larger one."""
    t = type(e)
    if t is Var:
        p = pos.get(id(e))
        return {} if p is None else {p: 1.0}
    if t is Cast:
        return _coefs(e.value, pos)
    if t in (Add, Sub):
        out = dict(_coefs(e.a, pos))
        sign = 1.0 if t is Add else -1.0
        for p, c in _coefs(e.b, pos).items():
            out[p] = out.get(p, 0.0) + sign * c
        return out
    if t is Mul:
        for x, y in ((e.a, e.b), (e.b, e.a)):
            if isinstance(y, IntImm):
                return {p: c * y.value for p, c in _coefs(x, pos).items()}
    if t is FloorDiv and isinstance(e.b, IntImm) and e.b.value > 0:
        return {p: c / e.b.value for p, c in _coefs(e.a, pos).items()}
    if t is FloorMod and isinstance(e.b, IntImm):
        return _coefs(e.a, pos)
    out: dict = {}
    kids = (e.true_value, e.false_value) if t is Select else (e.a, e.b) if hasattr(e, "b") else ()
    for k in kids:
        for p, c in _coefs(k, pos).items():
            if abs(c) > abs(out.get(p, 0.0)):
                out[p] = c
    return out


# ----------------------------------------------------------------------------- the walk


class _Access:
    """What the group 2 values of one buffer of a store need from its index patterns: the
    whole-nest box (low and high per dim), whether each loop's variable occurs in its indices,
    and its stride (min_stride, the innermost loop's stride, min_stride's loop position or
    None)."""

    __slots__ = ("box_lo", "box_hi", "var_used", "min_stride", "inner_stride", "stride_pos")


def _inner_prod(loops, p) -> float:
    """The product of the extents of the loops inside position p (integers: exact)."""
    out = 1.0
    for lp in loops[p + 1:]:
        out *= lp.extent
    return out



class StoreCollector:
    """Walks one lowered program and collects a StoreRow per stored buffer (the last store to
    a buffer wins; rows in order of first store)."""

    def __init__(self, cache_line_bytes: int = 64, curve_samples: int = 10, is_gpu: bool = False):
        self.line = float(cache_line_bytes)
        self.curve_samples = curve_samples
        self.fractions = [i / curve_samples for i in range(1, curve_samples + 1)]  # where the curve is sampled
        self.is_gpu = is_gpu
        self.stack: list[Loop] = []
        self.allocs: dict = {}  # id(buffer) -> loop product at its allocation
        self.touched: dict = {}  # loop key -> bytes touched under the loop, all stores so far
        self.lists: dict = {}  # (loop key, id(buffer)) -> footprints (elements), one per store
        self.rows: dict = {}  # id(buffer) -> StoreRow
        self.params: dict = {}

    def collect(self, lowered, compacted=None, scans=None) -> list[StoreRow]:
        """The rows of `lowered`; with `compacted` (compaction_plan.plan of its uncompacted
        body: {id(buffer): Compacted}) and `scans` ({id(store): (counts, loads)}) the rows
        of its compacted program."""
        self.params = {id(p): p for p in lowered.params}
        self.compacted = compacted or {}
        self.scans = scans or {}
        self.pending = []
        self._visit(lowered.body)
        self._finish()
        return list(self.rows.values())

    def _visit(self, s) -> None:
        t = type(s)
        if t is For:
            if (s.kind == "serial" and isinstance(s.extent, IntImm) and s.extent.value == 1
                    and not s.annotations):
                self._visit(s.body)
                return
            self.stack.append(Loop(s))
            self._visit(s.body)
            self.stack.pop()
        elif t is SeqStmt:
            for x in s.seq:
                self._visit(x)
        elif t is IfThenElse:
            self._visit(s.then_case)
            if s.else_case is not None:
                self._visit(s.else_case)
        elif t is BufferStore:
            if type(s.value) not in (IntImm, FloatImm):
                self._store(s)
        elif t is Allocate:
            self.allocs[id(s.buffer)] = math.prod(lp.extent for lp in self.stack)
            self._visit(s.body)

    # -- one store ---------------------------------------------------------------------------
    def _store(self, store: BufferStore) -> None:
        loops = self.stack
        n = len(loops)
        prod = float(math.prod(lp.extent for lp in loops))
        scanned = self.scans.get(id(store))
        counts, loads = scanned if scanned is not None else scan(store)
        compacted = self.compacted
        if compacted:
            counts = list(counts)
            for ld in loads:
                c = compacted.get(id(ld.buffer))
                if c is not None:
                    shifted_ops(c, ld.indices, counts)

        # buffers: the stored one first, then loads in order; a loaded stored buffer is ReadWrite
        wid = id(store.buffer)
        order, patterns, kinds = [wid], {wid: [store.indices]}, {wid: "write"}
        bufs = {wid: store.buffer}
        for ld in loads:
            bid = id(ld.buffer)
            if bid == wid:
                kinds[wid] = "readwrite"
                continue
            if bid not in patterns:
                order.append(bid)
                patterns[bid] = []
                kinds[bid] = "read"
                bufs[bid] = ld.buffer
            patterns[bid].append(ld.indices)
        if compacted:
            for b in order:
                c = compacted.get(b)
                if c is not None:
                    bufs[b] = c.buffer
                    patterns[b] = [shifted_forms(c, idx) for idx in patterns[b]]

        row = StoreRow()
        row.buffer = bufs[wid]
        row.group1 = self._group1(counts, prod)
        nbytes = [float(bytes_of(bufs[b].dtype)) for b in order]
        if wid in self.allocs:
            outer = float(self.allocs[wid])
            size = float(bufs[wid].alloc_size())
            row.group4 = [size * nbytes[0], size * outer, outer, prod / outer]
        elif wid in self.params:
            size = float(store.buffer.alloc_size())
            row.group4 = [size * nbytes[0], size, 1.0, prod]
        else:
            row.group4 = [0.0, 0.0, 1.0, prod]
        positive = [lp.unroll_step for lp in loops if lp.unroll_step > 0]
        row.group5 = [prod, float(n), float(positive[-1]) if positive else 0.0]
        # the footprint-dependent values wait for _finish (all stores' footprints in one go)
        self.pending.append((row, list(loops), counts, prod, order, patterns, bufs, kinds, nbytes))
        self.rows[wid] = row  # a later store overwrites; the dict keeps the first one's position

    def _finish(self) -> None:
        """The footprint-dependent values of every pending store, in store order (touched
        bytes and footprint lists accumulate over the stores)."""
        for (row, loops, counts, prod, order, _, bufs, kinds, nbytes), (numel_rows, access) in zip(
                self.pending, self._footprints(self.pending)):
            n = len(loops)
            for i, lp in enumerate(loops):
                key = lp.key
                touched = 0.0
                for j, b in enumerate(order):
                    touched += numel_rows[j][i] * nbytes[j]
                    self.lists.setdefault((key, b), []).append(numel_rows[j][i])
                self.touched[key] = self.touched.get(key, 0.0) + touched
            store_bytes = sum(nbytes)
            row.buffers = [
                self._group2(b, bufs[b], kinds[b], loops, prod, numel_rows[j][0] if n else None, access[j],
                             store_bytes)
                for j, b in enumerate(order)
            ]
            row.curve = self._curve(counts, loops)
        self.pending = []

    def _footprints(self, pending) -> list:
        """Per pending store (numel [buffers][levels] (level i: loops i.. relaxed), an `_Access`
        per buffer). The footprints of every store, buffer and index pattern come from one set
        of array operations: the patterns are stacked [patterns, dims (padded), loops (padded on
        the outside: a pad loop has extent 1)] and reduced per buffer with reduceat (box values
        are integers, exact in any order); the strides per loop are gathered as floats while
        the rows are built."""
        out = [([[] for _ in rec[4]], [None] * len(rec[4])) for rec in pending]
        live = [k for k, rec in enumerate(pending) if rec[1]]
        if not live:
            return out
        nmax = max(len(pending[k][1]) for k in live)
        dmax = max(1, max(rec[6][b].ndim for k in live for rec in (pending[k],) for b in rec[4]))
        # built as flat lists, made arrays once (element writes into arrays, and nested lists,
        # cost more than the math)
        C, const, row_of = [], [], []  # per pattern; row_of: its store's row below
        mins, span = [], []  # per live store
        shape, starts, groups = [], [], []  # per (store, buffer); groups: (store, buffer, offset)
        per = []  # per group {loop position: the smallest |coef| x stride of its innermost dim}
        other = []  # (row, dim, expr, buffer, store) of non-affine indices
        width = dmax * nmax
        npat = 0
        for live_row, k in enumerate(live):
            _, loops, _, _, order, patterns, bufs, _, _ = pending[k]
            n = len(loops)
            off = nmax - n
            pos = {id(lp.var): off + i for i, lp in enumerate(loops)}
            mins += [0.0] * off + [float(lp.min) for lp in loops]
            span += [0.0] * off + [lp.extent - 1.0 for lp in loops]
            for b in order:
                buf = bufs[b]
                shape += list(buf.shape) + [1.0] * (dmax - buf.ndim)
                starts.append(npat)
                groups.append((k, b, off))
                bstride = buf.dense_strides()
                smallest = {}
                per.append(smallest)
                for idx in patterns[b]:
                    crow = [0.0] * width
                    krow = [0.0] * dmax
                    innermost = {}  # loop position -> |coef| x stride of the last dim using it
                    for d, e in enumerate(idx):
                        form = e if type(e) is tuple else affine_form(e)
                        at = d * nmax
                        if form is None:
                            other.append((npat, d, e, buf, k))
                            for p, c in _coefs(e, pos).items():
                                crow[at + p] = c
                                if c:
                                    innermost[p] = abs(c) * bstride[d]
                            continue
                        krow[d] = form[1]
                        for v, c in form[0].items():
                            p = pos.get(id(v))
                            if p is not None and c:
                                crow[at + p] = c
                                innermost[p] = abs(c) * bstride[d]
                    for p, v in innermost.items():
                        if v < smallest.get(p, math.inf):
                            smallest[p] = v
                    C += crow
                    const += krow
                    row_of.append(live_row)
                    npat += 1
        C = np.array(C, dtype=np.float64).reshape(npat, dmax, nmax)
        row_of = np.array(row_of)
        span = np.array(span, dtype=np.float64).reshape(len(live), nmax)[row_of][:, None, :]
        base = np.array(const, dtype=np.float64).reshape(npat, dmax)
        if any(mins):  # (loops of a lowered program mostly start at 0: base is the constant)
            mins = np.array(mins, dtype=np.float64).reshape(len(live), nmax)[row_of][:, None, :]
            base = base + (C * mins).sum(axis=-1)
        # the low and the high ends in one reverse cumulative sum over the levels
        ends = base[..., None] + np.cumsum(np.stack((np.minimum(C, 0.0) * span, np.maximum(C, 0.0) * span))[..., ::-1],
                                           axis=-1)[..., ::-1]
        lo, hi = ends[0], ends[1]
        bounds = {}
        for r, d, e, buf, k in other:
            loops = pending[k][1]
            n = len(loops)
            if k not in bounds:
                levels = np.arange(n)
                bounds[k] = ({id(lp.var): float(lp.min) for lp in loops},
                             {id(lp.var): lp.min + np.where(levels <= i, lp.extent - 1.0, 0.0)
                              for i, lp in enumerate(loops)})
            iv = _interval(e, *bounds[k])
            lo[r, d, nmax - n:], hi[r, d, nmax - n:] = iv if iv is not None else (0.0, buf.shape[d] - 1.0)
        starts = np.array(starts)
        shape = np.array(shape, dtype=np.float64).reshape(len(groups), dmax, 1)
        box_lo = np.maximum(np.minimum.reduceat(lo, starts, axis=0), 0.0)  # [groups, dims, levels]
        box_hi = np.minimum(np.maximum.reduceat(hi, starts, axis=0), shape - 1.0)
        numel = np.maximum(box_hi - box_lo + 1.0, 0.0).prod(axis=1).tolist()
        offs = np.array([g[2] for g in groups])
        at = np.arange(len(groups))
        lo0, hi0 = box_lo[at, :, offs].tolist(), box_hi[at, :, offs].tolist()
        slot = {}
        for g, (k, _, off) in enumerate(groups):
            j = slot[k] = slot.get(k, -1) + 1
            n = nmax - off
            acc = _Access()
            row = per[g]
            acc.box_lo, acc.box_hi, acc.var_used = lo0[g], hi0[g], [p in row for p in range(off, nmax)]
            acc.min_stride, acc.inner_stride, acc.stride_pos = 0.0, 0.0, None
            for p in range(n - 1, -1, -1):
                v = row.get(off + p, 0.0)
                if v != 0.0:
                    acc.min_stride = v
                    acc.inner_stride = v if p == n - 1 else 0.0
                    acc.stride_pos = p
                    break
            out[k][0][j] = numel[g][off:]
            out[k][1][j] = acc
        return out

    def _group1(self, counts, prod) -> list:
        out = [c * prod for c in counts]
        out[0] = out[NUM_FLOAT_ARITH] = 0.0  # no multiply-add detection (as the reference)
        for kind in ("vectorized", "unrolled", "parallel"):
            exts = [lp.extent for lp in self.stack if lp.kind == kind]
            out += [float(len(exts)), float(math.prod(exts)) if exts else 0.0, float(exts[-1]) if exts else 0.0]
            onehot = [0.0] * 8
            onehot[7 if exts else 0] = 1.0  # kPosMixed whenever there is such a loop
            out += onehot
        out.append(1.0 if self.is_gpu else 0.0)
        if not self.is_gpu:
            return out + [1.0] * len(GPU_EXTENT_TAGS)
        for tag in GPU_EXTENT_TAGS:
            bound = [lp.extent for lp in self.stack
                     if lp.kind == "thread_binding" and (lp.tag == tag or lp.tag.startswith(tag + "."))]
            out.append(float(bound[0]) if bound else 1.0)
        return out

    def _group2(self, bid, buf, kind, loops, prod, numel0, acc, store_bytes) -> tuple:
        """(sort key, 18 values) of one buffer (bid: its key) of the current store (numel0:
        its footprint of the whole nest; acc: its _Access, None without loops)."""
        n = len(loops)
        dbytes = float(bytes_of(buf.dtype))
        bytes_ = dbytes * prod
        unique_bytes = numel0 * dbytes if n else 1.0
        min_stride, innermost_stride, prod_non_strided = 0.0, 0.0, prod
        if n and acc.stride_pos is not None:
            min_stride, innermost_stride = acc.min_stride, acc.inner_stride
            prod_non_strided = _inner_prod(loops, acc.stride_pos)
        lines = max(1.0, (prod / prod_non_strided) * min(1.0, min_stride * dbytes / self.line))
        # unique lines: the footprint's bytes over the contiguous run of its innermost dims
        cont = 1.0
        if n:
            run = 1.0
            for d in range(buf.ndim - 1, -1, -1):
                extent_d = max(acc.box_hi[d] - acc.box_lo[d] + 1.0, 1.0)
                run *= extent_d
                if extent_d < buf.shape[d] or buf.strides:
                    break
            cont = run * dbytes
        unique_lines = max(1.0, unique_bytes / min(self.line, cont))
        # reuse, innermost loop outward
        reuse = (0.0, 0.0, 1.0)
        dis_iter = dis_bytes = ct = 0.0
        if n:
            var_used = acc.var_used
            for p in range(n - 1, -1, -1):
                key = loops[p].key
                extent_p = float(loops[p].extent)
                if not var_used[p]:
                    reuse = (1.0, 0.0, 0.0)
                    ct = extent_p
                    dis_iter = _inner_prod(loops, p)
                    dis_bytes = self.touched[loops[p + 1].key] if p + 1 < n else store_bytes
                    break
                entries = self.lists[(key, bid)]
                if len(entries) >= 2:
                    reuse = (0.0, 1.0, 0.0)
                    ct = float(len(entries) - 1)
                    dis_iter = min(entries) / extent_p
                    dis_bytes = self.touched[key] / extent_p
                    break
        div = ct if ct != 0.0 else 0.5
        acc_type = {"read": (1.0, 0.0, 0.0), "write": (0.0, 1.0, 0.0), "readwrite": (0.0, 0.0, 1.0)}[kind]
        values = [*acc_type, bytes_, unique_bytes, lines, unique_lines, *reuse, dis_iter, dis_bytes, ct,
                  bytes_ / div, unique_bytes / div, lines / div, unique_lines / div, innermost_stride]
        return (-lines, -bytes_, buf.name), values

    def _curve(self, counts, loops) -> list:
        """Arithmetic intensity (float ops / bytes touched) sampled at evenly spaced fractions
        of the nest's compute, interpolated between loop levels (innermost first). A handful
        of scalars per store: plain floats, the same operations as array code would do."""
        n = len(loops)
        flops = float(sum(counts[1:NUM_FLOAT_ARITH]))  # per iteration (mad is always 0)
        if n == 0 or flops == 0.0:
            return [0.0] * self.curve_samples
        compute, inner = [], 1.0
        for k in range(n):
            inner *= loops[n - 1 - k].extent
            compute.append(flops * inner)
        ratio = [c / max(self.touched[loops[n - 1 - k].key], 1.0) for k, c in enumerate(compute)]
        out = []
        for fraction in self.fractions:
            target = fraction * compute[-1]
            k = min(bisect_left(compute, target - 1e-4), n - 1)
            prev = max(k - 1, 0)
            width = compute[k] - compute[prev]
            frac = (target - compute[prev]) / width if width > 0 else 1.0
            out.append(ratio[0] if k == 0 else ratio[prev] + (ratio[k] - ratio[prev]) * frac)
        return out
