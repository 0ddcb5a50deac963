"""Cost models: "random" here; "xgb" and "mlp" register in the same table."""

from .cost_model import CostModel, PyCostModel, create
from .random_model import RandomModel

__all__ = ["CostModel", "PyCostModel", "RandomModel", "create"]
