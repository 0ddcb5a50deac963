"""RandomModel: uniform random scores, the baseline a learned model must beat (and what the
search uses before any measurement exists)."""

from __future__ import annotations

import json

import numpy as np

from .cost_model import CostModel


class RandomModel(CostModel):
    """Scores drawn uniformly from [0, max_range); `seed` makes them reproducible, `save` and
    `load` carry the generator state."""

    def __init__(self, *, seed: int | None = None, path: str | None = None, max_range: int | None = 100):
        if max_range is None or max_range <= 0:
            raise ValueError(f"RandomModel.max_range must be > 0, got {max_range!r}")
        self.max_range = max_range
        self.rng = np.random.default_rng(seed)
        if path is not None:
            self.load(path)

    def load(self, path: str) -> None:
        with open(path, encoding="utf-8") as f:
            state = json.load(f)
        self.max_range = state["max_range"]
        self.rng = np.random.default_rng()
        self.rng.bit_generator.state = state["bit_generator"]

    def save(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"max_range": self.max_range, "bit_generator": self.rng.bit_generator.state}, f)

    def update(self, context, candidates, results) -> None:
        """A random model learns nothing."""

    def predict(self, context, candidates) -> np.ndarray:
        return self.predict_extracted(len(candidates), None)

    def predict_extracted(self, num: int, features) -> np.ndarray:
        """`predict` for `num` candidates known only by their features (never read)."""
        return self.rng.uniform(0.0, self.max_range, size=num)
