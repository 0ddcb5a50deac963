"""Schedule rules: what PostOrderApply does to each block to build the design spaces."""

from .add_rfactor import AddRFactor
from .apply_custom_rule import CUSTOM_RULES, ApplyCustomRule, register_custom_rule
from .auto_inline import AutoInline
from .inline_constant_scalars import InlineConstantScalars
from .multi_level_tiling import MultiLevelTiling
from .parallel_vectorize_unroll import ParallelizeVectorizeUnroll
from .random_compute_location import RandomComputeLocation
from .schedule_rule import PyScheduleRule, ScheduleRule, create

__all__ = ["CUSTOM_RULES", "AddRFactor", "ApplyCustomRule", "AutoInline", "InlineConstantScalars",
           "MultiLevelTiling", "ParallelizeVectorizeUnroll", "PyScheduleRule", "RandomComputeLocation",
           "ScheduleRule", "create", "register_custom_rule"]
