"""The cost model interface: predict a normalised score (higher is faster) for candidates, and
learn from measured results."""

from __future__ import annotations

import numpy as np

from .. import _registry


class CostModel:
    """Scores candidates. Scores are comparable within one task; higher means predicted faster."""

    KINDS = {
        "random": "raytune_ms.cost_model.random_model:RandomModel",
        "xgb": "raytune_ms.cost_model.xgb_model:XGBModel",
        "mlp": "raytune_ms.cost_model.mlp_model:MLPModel",
    }

    def load(self, path: str) -> None:
        raise NotImplementedError

    def save(self, path: str) -> None:
        raise NotImplementedError

    def update(self, context, candidates: list, results: list) -> None:
        """Learn from the measured `results` of `candidates` (RunnerResults, errors included)."""
        raise NotImplementedError

    def predict(self, context, candidates: list) -> np.ndarray:
        """One score per candidate."""
        raise NotImplementedError

    @staticmethod
    def create(kind, *args, **kwargs) -> "CostModel":
        """A cost model: "random", "xgb" or "mlp" (a CostModel instance is returned as it is)."""
        if isinstance(kind, CostModel):
            return kind
        return _registry.create(CostModel.KINDS, kind, "cost model", *args, **kwargs)


class PyCostModel(CostModel):
    """The base for user cost models (decorate subclasses with `derived_object`)."""


def create(kind: str, *args, **kwargs) -> CostModel:
    """Same as `CostModel.create`."""
    return CostModel.create(kind, *args, **kwargs)
