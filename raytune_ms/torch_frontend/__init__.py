"""The PyTorch front end: capture an nn.Module with torch.export and lower each aten node to a
PrimFunc of the operator library."""

from .capture import CapturedGraph, capture
from .converters import CONVERTERS, ConversionError
from .executor import run_lowered
from .lower import (
    LoweredFunction,
    LoweredModule,
    LoweringError,
    UnsupportedOperatorError,
    lower_captured,
    lower_module,
    source_line,
)

__all__ = ["CONVERTERS", "CapturedGraph", "ConversionError", "LoweredFunction", "LoweredModule", "LoweringError",
           "UnsupportedOperatorError", "capture", "lower_captured", "lower_module", "run_lowered", "source_line"]
