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


class StoreCollector:
    """Walks one lowered program and collects a StoreRow per stored buffer (the last store to
    a buffer wins; rows in order of first store)."""

    def __init__(self, cache_line_bytes: int = 64, curve_samples: int = 10, is_gpu: bool = False):
        self.line = float(cache_line_bytes)
        self.curve_samples = curve_samples
        self.is_gpu = is_gpu
        self.stack: list[Loop] = []
        self.allocs: dict = {}  # id(buffer) -> loop product at its allocation
        self.touched: dict = {}  # loop key -> bytes touched under the loop, all stores so far
        self.lists: dict = {}  # (loop key, id(buffer)) -> footprints (elements), one per store
        self.rows: dict = {}  # id(buffer) -> StoreRow
        self.params: dict = {}

    def collect(self, lowered) -> list[StoreRow]:
        self.params = {id(p): p for p in lowered.params}
        self._visit(lowered.body)
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
        ext = np.array([lp.extent for lp in loops], dtype=np.float64)
        prod = float(math.prod(lp.extent for lp in loops))
        counts = [0] * len(ARITH)
        loads: list = []
        scan_value(store.value, counts, loads)

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

        numel, coefs = self._footprints(loops, ext, order, patterns, bufs)
        nbytes = np.array([bytes_of(bufs[b].dtype) for b in order], dtype=np.float64)
        touched_now = (numel * nbytes[:, None]).sum(axis=0) if n else np.zeros(0)
        for i, lp in enumerate(loops):
            key = lp.key
            self.touched[key] = self.touched.get(key, 0.0) + float(touched_now[i])
            for j, b in enumerate(order):
                self.lists.setdefault((key, b), []).append(float(numel[j, i]))

        row = StoreRow()
        row.buffer = store.buffer
        row.group1 = self._group1(counts, prod)
        row.buffers = [
            self._group2(j, bufs[b], kinds[b], loops, ext, prod, numel, coefs[j], float(nbytes.sum()))
            for j, b in enumerate(order)
        ]
        row.curve = self._curve(counts, prod, ext, loops)
        if wid in self.allocs:
            outer = float(self.allocs[wid])
            size = float(store.buffer.alloc_size())
            row.group4 = [size * nbytes[0], size * outer, outer, prod / outer]
        elif wid in self.params:
            size = float(store.buffer.alloc_size())
            row.group4 = [size * nbytes[0], size, 1.0, prod]
        else:
            row.group4 = [0.0, 0.0, 1.0, prod]
        positive = [lp.unroll_step for lp in loops if lp.unroll_step > 0]
        row.group5 = [prod, float(n), float(positive[-1]) if positive else 0.0]
        self.rows[wid] = row  # a later store overwrites; the dict keeps the first one's position

    def _footprints(self, loops, ext, order, patterns, bufs):
        """numel [buffers, levels] (level i: loops i.. relaxed) and per buffer (coefficients
        [patterns, dims, loops], whole-nest box low and high per dim)."""
        n = len(loops)
        pos = {id(lp.var): i for i, lp in enumerate(loops)}
        mins = np.array([lp.min for lp in loops], dtype=np.float64)
        span = ext - 1.0
        numel = np.ones((len(order), n))
        info = []
        bounds = None
        for j, b in enumerate(order):
            buf = bufs[b]
            pats = patterns[b]
            C = np.zeros((len(pats), buf.ndim, n))
            const = np.zeros((len(pats), buf.ndim))
            other = []  # (pattern, dim, expr) of non-affine indices
            for pi, idx in enumerate(pats):
                for d, e in enumerate(idx):
                    form = affine_form(e)
                    if form is None:
                        other.append((pi, d, e))
                        for p, c in _coefs(e, pos).items():
                            C[pi, d, p] = c
                        continue
                    const[pi, d] = form[1]
                    for v, c in form[0].items():
                        p = pos.get(id(v))
                        if p is not None:
                            C[pi, d, p] += c
            if not n:
                info.append((C, None, None))
                continue
            base = (const + C @ mins)[..., None]
            lo = base + np.cumsum((np.minimum(C, 0.0) * span)[..., ::-1], axis=-1)[..., ::-1]
            hi = base + np.cumsum((np.maximum(C, 0.0) * span)[..., ::-1], axis=-1)[..., ::-1]
            for pi, d, e in other:
                if bounds is None:
                    levels = np.arange(n)
                    bounds = ({id(lp.var): float(lp.min) for lp in loops},
                              {id(lp.var): lp.min + np.where(levels <= i, lp.extent - 1.0, 0.0)
                               for i, lp in enumerate(loops)})
                iv = _interval(e, bounds[0], bounds[1])
                lo[pi, d], hi[pi, d] = iv if iv is not None else (0.0, buf.shape[d] - 1.0)
            shape = np.array(buf.shape, dtype=np.float64)[:, None]
            box_lo = np.maximum(lo.min(axis=0), 0.0)
            box_hi = np.minimum(hi.max(axis=0), shape - 1.0)
            numel[j] = np.maximum(box_hi - box_lo + 1.0, 0.0).prod(axis=0)
            info.append((C, box_lo[:, 0], box_hi[:, 0]))
        return numel, info

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
        for tag in GPU_EXTENT_TAGS:
            bound = [lp.extent for lp in self.stack
                     if lp.kind == "thread_binding" and (lp.tag == tag or lp.tag.startswith(tag + "."))]
            out.append(float(bound[0]) if self.is_gpu and bound else 1.0)
        return out

    def _group2(self, j, buf, kind, loops, ext, prod, numel, coef_info, store_bytes) -> tuple:
        """(sort key, 18 values) of buffer j of the current store."""
        n = len(loops)
        C, box_lo, box_hi = coef_info
        dbytes = float(bytes_of(buf.dtype))
        bytes_ = dbytes * prod
        unique_bytes = float(numel[j, 0]) * dbytes if n else 1.0
        # stride: per loop, the smallest over patterns of |coef| x stride of the innermost dim using it
        bstride = np.array(buf.dense_strides(), dtype=np.float64)
        used = C != 0.0  # [patterns, dims, loops]
        min_stride, innermost_stride, prod_non_strided = 0.0, 0.0, prod
        if n:
            any_dim = used.any(axis=1)  # [patterns, loops]
            inner_dim = C.shape[1] - 1 - np.argmax(used[:, ::-1, :], axis=1)  # [patterns, loops]
            picked = np.take_along_axis(np.abs(C), inner_dim[:, None, :], axis=1)[:, 0, :]
            per = np.where(any_dim, picked * bstride[inner_dim], np.inf).min(axis=0)  # [loops]
            for p in range(n - 1, -1, -1):
                if np.isfinite(per[p]) and per[p] != 0.0:
                    min_stride = float(per[p])
                    innermost_stride = min_stride if p == n - 1 else 0.0
                    prod_non_strided = float(np.prod(ext[p + 1:]))
                    break
        lines = max(1.0, (prod / prod_non_strided) * min(1.0, min_stride * dbytes / self.line))
        # unique lines: the footprint's bytes over the contiguous run of its innermost dims
        cont = 1.0
        if n:
            run = 1.0
            for d in range(buf.ndim - 1, -1, -1):
                extent_d = max(box_hi[d] - box_lo[d] + 1.0, 1.0)
                run *= extent_d
                if extent_d < buf.shape[d] or buf.strides:
                    break
            cont = run * dbytes
        unique_lines = max(1.0, unique_bytes / min(self.line, cont))
        # reuse, innermost loop outward
        reuse = (0.0, 0.0, 1.0)
        dis_iter = dis_bytes = ct = 0.0
        if n:
            var_used = used.any(axis=(0, 1))
            for p in range(n - 1, -1, -1):
                key = loops[p].key
                if not var_used[p]:
                    reuse = (1.0, 0.0, 0.0)
                    ct = float(ext[p])
                    dis_iter = float(np.prod(ext[p + 1:]))
                    dis_bytes = self.touched[loops[p + 1].key] if p + 1 < n else store_bytes
                    break
                entries = self.lists[(key, id(buf))]
                if len(entries) >= 2:
                    reuse = (0.0, 1.0, 0.0)
                    ct = float(len(entries) - 1)
                    dis_iter = min(entries) / float(ext[p])
                    dis_bytes = self.touched[key] / float(ext[p])
                    break
        div = ct if ct != 0.0 else 0.5
        acc = {"read": (1.0, 0.0, 0.0), "write": (0.0, 1.0, 0.0), "readwrite": (0.0, 0.0, 1.0)}[kind]
        values = [*acc, bytes_, unique_bytes, lines, unique_lines, *reuse, dis_iter, dis_bytes, ct,
                  bytes_ / div, unique_bytes / div, lines / div, unique_lines / div, innermost_stride]
        return (-lines, -bytes_, buf.name), values

    def _curve(self, counts, prod, ext, loops) -> list:
        """Arithmetic intensity (float ops / bytes touched) sampled at evenly spaced fractions
        of the nest's compute, interpolated between loop levels (innermost first)."""
        n = len(loops)
        flops = float(sum(counts[1:NUM_FLOAT_ARITH]))  # per iteration (mad is always 0)
        if n == 0 or flops == 0.0:
            return [0.0] * self.curve_samples
        compute = flops * np.cumprod(ext[::-1])
        mem = np.array([self.touched[loops[n - 1 - k].key] for k in range(n)])
        ratio = compute / np.maximum(mem, 1.0)
        target = (np.arange(1, self.curve_samples + 1) / self.curve_samples) * compute[-1]
        k = np.minimum(np.searchsorted(compute, target - 1e-4, side="left"), n - 1)
        prev = np.maximum(k - 1, 0)
        width = compute[k] - compute[prev]
        frac = np.where(width > 0, (target - compute[prev]) / np.where(width > 0, width, 1.0), 1.0)
        value = np.where(k == 0, ratio[0], ratio[prev] + (ratio[k] - ratio[prev]) * frac)
        return value.tolist()
