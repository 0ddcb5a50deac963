"""Cost models: "random"."""

from .cost_model import CostModel, PyCostModel, create
from .random_model import RandomModel

__all__ = ["CostModel", "PyCostModel", "RandomModel", "create"]
