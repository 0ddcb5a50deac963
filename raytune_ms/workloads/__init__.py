"""The standard tuning op suite (a table over `raytune_ms.topi`) as PrimFuncs, with numpy references and
FLOP counts."""

from .baseline import SuiteBaseline
from .suite import SIZES, SUITE, config, get, names
from .workload import Workload
