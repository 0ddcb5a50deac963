"""Mutators: tile size, compute location, unroll, parallel, thread binding ("llvm" and "cuda"
give them with the reference's probabilities)."""

from .mutate_compute_location import MutateComputeLocation
from .mutate_parallel import MutateParallel
from .mutate_thread_binding import MutateThreadBinding
from .mutate_tile_size import MutateTileSize
from .mutate_unroll import MutateUnroll
from .mutator import Mutator, PyMutator, create

__all__ = ["MutateComputeLocation", "MutateParallel", "MutateThreadBinding", "MutateTileSize", "MutateUnroll",
           "Mutator", "PyMutator", "create"]
