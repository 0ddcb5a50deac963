"""Loading and running compiled kernels: compile_c (C -> shared-object bytes), Module."""

from .compile import BuildError, compile_c
from .module import Module
