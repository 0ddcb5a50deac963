"""The standard tuning op suite as PrimFuncs, with numpy references and FLOP counts."""

from .baseline import SuiteBaseline
from .suite import SIZES, SUITE, config, get, names
from .workload import Workload
