"""What a learned cost model has measured: per workload group (structural hash of the task's
module), the feature matrices of its candidates and their costs, with the labels (group best
cost / cost) and the packed form (all rows, and the candidate each row belongs to) that the
models train on. Saved as plain arrays (no pickles)."""

from __future__ import annotations

import numpy as np

#: the cost of a candidate that failed to build or run
FAILED_COST = 1e10


def cost_of(result) -> float:
    """The median run time of a RunnerResult, or FAILED_COST for an error or no times."""
    secs = getattr(result, "run_secs", None)
    if getattr(result, "error_msg", None) is not None or not secs:
        return FAILED_COST
    secs = [s for s in secs if s is not None and np.isfinite(s) and s > 0]
    return float(np.median(secs)) if secs else FAILED_COST


class Group:
    """The candidates measured for one workload."""

    __slots__ = ("key", "features", "costs")

    def __init__(self, key: str, features=None, costs=None):
        self.key = key
        self.features: list[np.ndarray] = list(features or [])
        self.costs = np.asarray(costs if costs is not None else [], dtype=np.float64)

    @property
    def min_cost(self) -> float:
        return float(self.costs.min()) if self.costs.size else FAILED_COST

    def labels(self) -> np.ndarray:
        """min_cost / cost: 1 for the group's best, about 0 for a failure (0 where cost is 0)."""
        costs = self.costs
        return np.divide(self.min_cost, costs, out=np.zeros_like(costs), where=costs > 0)


def pack(features: list[np.ndarray]):
    """(rows [sum of rows, features], segment [sum of rows]: the candidate of each row)."""
    counts = np.array([f.shape[0] for f in features], dtype=np.int64)
    rows = np.concatenate(features, axis=0) if features else np.zeros((0, 0), np.float32)
    return rows, np.repeat(np.arange(len(features)), counts)


class TrainingData:
    """Groups in insertion order, and the number of candidates over all of them."""

    def __init__(self):
        self.groups: dict[str, Group] = {}

    def __len__(self) -> int:
        return sum(len(g.costs) for g in self.groups.values())

    def add(self, key: str, features: list[np.ndarray], costs) -> None:
        """Append candidates (those without feature rows are dropped: nothing to learn from)."""
        keep = [i for i, f in enumerate(features) if f.shape[0] > 0]
        if not keep:
            return
        group = self.groups.setdefault(key, Group(key))
        group.features.extend(features[i] for i in keep)
        group.costs = np.concatenate([group.costs, np.asarray(costs, dtype=np.float64)[keep]])

    def all(self):
        """(features of every candidate, their labels, their group index)."""
        feats, labels, gids = [], [], []
        for gi, g in enumerate(self.groups.values()):
            feats.extend(g.features)
            labels.append(g.labels())
            gids.append(np.full(len(g.costs), gi))
        if not feats:
            return [], np.zeros(0), np.zeros(0, dtype=np.int64)
        return feats, np.concatenate(labels), np.concatenate(gids)

    # -- plain-array form ------------------------------------------------------------------
    def to_arrays(self, prefix: str = "data") -> dict:
        """{name: ndarray} for np.savez: per group its key, packed rows, row counts and costs."""
        out = {f"{prefix}.keys": np.array(list(self.groups), dtype=np.str_)}
        for i, g in enumerate(self.groups.values()):
            rows, _ = pack(g.features)
            out[f"{prefix}.{i}.rows"] = rows.astype(np.float32)
            out[f"{prefix}.{i}.counts"] = np.array([f.shape[0] for f in g.features], dtype=np.int64)
            out[f"{prefix}.{i}.costs"] = g.costs
        return out

    @staticmethod
    def from_arrays(arrays, prefix: str = "data") -> TrainingData:
        data = TrainingData()
        for i, key in enumerate(arrays[f"{prefix}.keys"].tolist()):
            rows = np.asarray(arrays[f"{prefix}.{i}.rows"], dtype=np.float32)
            counts = np.asarray(arrays[f"{prefix}.{i}.counts"], dtype=np.int64)
            splits = np.cumsum(counts)[:-1]
            feats = np.split(rows, splits) if counts.size else []
            data.groups[key] = Group(key, feats, np.asarray(arrays[f"{prefix}.{i}.costs"], dtype=np.float64))
        return data
