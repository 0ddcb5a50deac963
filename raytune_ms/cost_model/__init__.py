"""Cost models: "random", "xgb" (XGBModel) and "mlp" (MLPModel, the torch extra). XGBModel,
XGBConfig and MLPModel are imported on first use, so xgboost and torch load only when asked
for."""

import importlib

from .cost_model import CostModel, PyCostModel, create
from .random_model import RandomModel

_LAZY = {"XGBModel": "xgb_model", "XGBConfig": "xgb_model", "MLPModel": "mlp_model"}

__all__ = ["CostModel", "MLPModel", "PyCostModel", "RandomModel", "XGBConfig", "XGBModel", "create"]


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
