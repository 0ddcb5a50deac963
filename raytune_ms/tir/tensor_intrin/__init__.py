"""Tensor intrinsics by name: what a hardware instruction group computes (a description
PrimFunc) and how the back end emits it (an implementation); `Schedule.tensorize` matches a
loop nest against the description. Importing this package registers the CUDA wmma and mma.sync sets."""

from . import cuda, cuda_mma  # noqa: F401  (register the wmma and mma.sync intrinsics)
from .tensor_intrin import TENSORIZED_KEY, TensorIntrin, TensorIntrinError

__all__ = ["TENSORIZED_KEY", "TensorIntrin", "TensorIntrinError"]
