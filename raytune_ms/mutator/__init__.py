"""Mutators: tile size, compute location, unroll, parallel ("llvm" gives them with the
reference's probabilities)."""

from .mutate_compute_location import MutateComputeLocation
from .mutate_parallel import MutateParallel
from .mutate_tile_size import MutateTileSize
from .mutate_unroll import MutateUnroll
from .mutator import Mutator, PyMutator, create

__all__ = ["MutateComputeLocation", "MutateParallel", "MutateTileSize", "MutateUnroll", "Mutator", "PyMutator",
           "create"]
