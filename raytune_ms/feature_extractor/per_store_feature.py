"""PerStoreFeature: the reference's 164 features per written buffer of a candidate's lowered
program (see features.md for each one), every value as slog(x) = sign(x) * log2(1 + |x|).

Rows are per stored buffer (the last store to a buffer wins, rows in order of first store;
stores of a constant, such as a reduction's initialisation, are skipped). The values are those
of the candidate's lowered program (`codegen.lower`), computed on the search's hot path as
cheaply as that allows: the program is lowered once, without rewriting it for buffer
compaction (compaction_plan.py works the compacted shapes and indices out from the index
arithmetic, and `compact_buffers` runs only where it cannot), and the footprints of all stores
come from one set of array operations. The features of a program object already seen are
taken from a bounded identity cache (a search scores surviving candidates again each round),
and what depends only on the workload and target (is_gpu, the workload one-hots) is computed
once per tuning context.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from ..codegen.compact import compact_buffers
from ..codegen.lower import lower_blocks
from ..tir import Block, IRModule, PrimFunc, collect
from ..tir.layout_rewrite import split_layout_rewrite
from .compaction_plan import NotPlain, plan
from .feature_extractor import FeatureExtractor
from .store_collector import ARITH, GPU_EXTENT_TAGS, StoreCollector, scan

_POS = ("kPosNone", "kPosInnerSpatial", "kPosMiddleSpatial", "kPosOuterSpatial", "kPosInnerReduce",
        "kPosMiddleReduce", "kPosOuterReduce", "kPosMixed")
_BUFFER = ("acc_type.kRead", "acc_type.kWrite", "acc_type.kReadWrite", "bytes", "unique_bytes", "lines",
           "unique_lines", "reuse_type.kLoopMultipleRead", "reuse_type.kSerialMultipleReadWrite",
           "reuse_type.kNoReuse", "reuse_dis_iter", "reuse_dis_bytes", "reuse_ct", "bytes_d_reuse_ct",
           "unique_bytes_d_reuse_ct", "lines_d_reuse_ct", "unique_lines_d_reuse_ct", "stride")
_ALLOC = ("alloc_size", "alloc_prod", "alloc_outer_prod", "alloc_inner_prod")
_OUTER = ("outer_prod", "num_loops", "auto_unroll_max_step")
# workload one-hots: (feature name, substrings of a block name that set it)
_WORKLOAD = (("softmax", ("softmax",)), ("max_min", ("max", "min")), ("add", ("add",)),
             ("batch_matmul", ("batch_matmul",)), ("matmul", ("matmul",)),
             ("depthwiseconv2d", ("depthwise",)), ("conv2d_winograd", ("winograd",)),
             ("conv2d", ("conv2d",)))
_CACHE_SIZE = 4096


def slog(x: np.ndarray) -> np.ndarray:
    """sign(x) * log2(1 + |x|)."""
    return np.sign(x) * np.log2(1.0 + np.abs(x))


def entry_func(mod) -> PrimFunc:
    """The program a candidate's module stands for (a PrimFunc is its own)."""
    return mod if isinstance(mod, PrimFunc) else IRModule.from_any(mod).entry_func()


class PerStoreFeature(FeatureExtractor):
    """One row of features per written buffer of each candidate's lowered program.

    buffers_per_store: group 2 slots (buffers beyond are dropped, missing ones are zero).
    arith_intensity_curve_num_samples: group 3 length. cache_line_bytes: for the line counts.
    extract_workload: append 8 one-hots naming the workload's kind (from its block names).
    """

    def __init__(self, buffers_per_store: int = 5, arith_intensity_curve_num_samples: int = 10,
                 cache_line_bytes: int = 64, extract_workload: bool = False):
        for name, value in (("buffers_per_store", buffers_per_store),
                            ("arith_intensity_curve_num_samples", arith_intensity_curve_num_samples),
                            ("cache_line_bytes", cache_line_bytes)):
            if int(value) != value or value < 1:
                raise ValueError(f"PerStoreFeature.{name} must be an integer >= 1, got {value!r}")
        self.buffers_per_store = int(buffers_per_store)
        self.arith_intensity_curve_num_samples = int(arith_intensity_curve_num_samples)
        self.cache_line_bytes = int(cache_line_bytes)
        self.extract_workload = bool(extract_workload)
        self._cache: OrderedDict = OrderedDict()  # id(func) -> (func, is_gpu, features)
        self._context_key = None
        self._context_values = (False, np.zeros(0))
        self._context_refs = None

    def __getstate__(self):
        """Pickled (e.g. shipped to a Ray actor with its cost model) without the caches."""
        state = dict(self.__dict__)
        state["_cache"] = OrderedDict()
        state["_context_key"] = state["_context_refs"] = None
        return state

    @property
    def feature_vector_length(self) -> int:
        return len(self.feature_names())

    def feature_names(self) -> list[str]:
        names = list(ARITH)
        for kind in ("vec", "unroll", "parallel"):
            names += [f"{kind}_num", f"{kind}_prod", f"{kind}_len"] + [f"{kind}_type.{p}" for p in _POS]
        names += ["is_gpu"] + [f"{t.replace('.', '_')}_len" for t in GPU_EXTENT_TAGS]
        for i in range(self.buffers_per_store):
            names += [f"B{i}.{f}" for f in _BUFFER]
        names += [f"arith_intensity_curve_{i}" for i in range(self.arith_intensity_curve_num_samples)]
        names += list(_ALLOC) + list(_OUTER)
        if self.extract_workload:
            names += [f"workload.{name}" for name, _ in _WORKLOAD]
        return names

    # ------------------------------------------------------------------------------ extract
    def extract_from(self, context, candidates) -> list[np.ndarray]:
        is_gpu, workload = self._for_context(context)
        out = []
        for cand in candidates:
            feats = self.extract_func(cand.sch.mod, is_gpu)
            if self.extract_workload:
                feats = np.hstack([feats, np.broadcast_to(workload, (feats.shape[0], workload.size))])
            out.append(feats)
        return out

    def extract_func(self, func, is_gpu: bool = False) -> np.ndarray:
        """The features [rows, 164] of one program (a PrimFunc or a one-function IRModule), no
        workload one-hots. The array is read-only (it may be shared through the cache)."""
        func = entry_func(func)
        key = id(func)
        hit = self._cache.get(key)
        if hit is not None and hit[0] is func and hit[1] == is_gpu:
            self._cache.move_to_end(key)
            return hit[2]
        feats = self._compute(func, is_gpu)
        feats.setflags(write=False)
        self._cache[key] = (func, is_gpu, feats)
        if len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        return feats

    def _for_context(self, context):
        """(is_gpu, workload one-hots) of a tuning context, computed once per context."""
        target = getattr(context, "target", None)
        mod = getattr(context, "mod", None)
        key = (id(target), id(mod))
        if key != self._context_key:
            is_gpu = target is not None and "gpu" in tuple(target.keys)
            onehots = np.zeros(len(_WORKLOAD), dtype=np.float32)
            if self.extract_workload and mod is not None:
                names = [b.name.lower() for b in collect(entry_func(mod).body, Block)]
                for i, (_, subs) in enumerate(_WORKLOAD):
                    onehots[i] = float(any(s in n for s in subs for n in names))
            self._context_key, self._context_values = key, (is_gpu, onehots)
            self._context_refs = (target, mod)  # keep the keyed objects alive
        return self._context_values

    def _compute(self, func: PrimFunc, is_gpu: bool) -> np.ndarray:
        collector = StoreCollector(self.cache_line_bytes, self.arith_intensity_curve_num_samples, is_gpu)
        lowered = lower_blocks(split_layout_rewrite(func)[0])  # the copy of a weight runs once
        try:
            rows = collector.collect(lowered, *plan(lowered.body, scan))
        except NotPlain:
            lowered.body = compact_buffers(lowered.body)
            rows = collector.collect(lowered)
        width = 57 + 18 * self.buffers_per_store + self.arith_intensity_curve_num_samples + 7
        table = []  # the rows as lists, made one array at the end
        for row in rows:
            slots = [values for _, values in sorted(row.buffers, key=lambda kv: kv[0])][: self.buffers_per_store]
            values = list(row.group1)
            for values_b in slots:
                values += values_b
            values += [0.0] * (18 * (self.buffers_per_store - len(slots)))
            values += list(row.curve) + list(row.group4) + list(row.group5)
            table.append(values)
        out = np.array(table, dtype=np.float64).reshape(len(rows), width)
        return slog(out).astype(np.float32)
