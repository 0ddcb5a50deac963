"""Loading and running compiled kernels: compile_c (C -> shared-object bytes), Module, and
cache-line-aligned argument arrays."""

from .aligned import aligned_copy, aligned_empty
from .compile import BuildError, compile_c
from .module import Module
