"""The compute DSL: describe tensors with placeholder/compute/reducers, lower with
create_prim_func."""

from .axis import Axis, reduce_axis
from .create_prim_func import create_prim_func
from .intrin import (
    all,
    any,
    cast,
    ceil,
    const,
    cos,
    erf,
    exp,
    exp2,
    fabs,
    floor,
    fmax,
    fmin,
    if_then_else,
    log,
    log2,
    pow,
    round,
    rsqrt,
    sigmoid,
    sin,
    sqrt,
    tanh,
)
from .reduce import CommReducer, Reduce, comm_reducer, max, min, sum
from .tensor import ComputeOp, Operation, PlaceholderOp, Tensor, compute, placeholder
