"""The cost model interface: predict a normalised score (higher is faster) for candidates, and
learn from measured results."""

from __future__ import annotations

import numpy as np

from .. import _registry


class CostModel(_registry.Registry):
    """Scores candidates. Scores are comparable within one task; higher means predicted faster."""

    KINDS = {
        "random": "raytune_ms.cost_model.random_model:RandomModel",
        "xgb": "raytune_ms.cost_model.xgb_model:XGBModel",
        "mlp": "raytune_ms.cost_model.mlp_model:MLPModel",
    }
    KIND_NOUN = "cost model"

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
    def create(kind: str, *args, **kwargs) -> CostModel:
        """A cost model of a registered kind ("random", "xgb", "mlp"), or `kind` itself if it
        is one."""
        return CostModel._create_kind(kind, *args, **kwargs)


class PyCostModel(CostModel):
    """The base for user cost models (decorate subclasses with `derived_object`)."""


def create(kind: str, *args, **kwargs) -> CostModel:
    """Same as `CostModel.create`."""
    return CostModel.create(kind, *args, **kwargs)
