"""Schedule rules: what PostOrderApply does to each block to build the design spaces."""

from .add_rfactor import AddRFactor
from .apply_custom_rule import CUSTOM_RULES, ApplyCustomRule, register_custom_rule
from .auto_bind import AutoBind
from .auto_inline import AutoInline
from .cross_thread_reduction import CrossThreadReduction
from .inline_constant_scalars import InlineConstantScalars
from .multi_level_tiling import MultiLevelTiling
from .multi_level_tiling_cuda import MultiLevelTilingCuda
from .multi_level_tiling_tensor_core import MultiLevelTilingTensorCore
from .parallel_vectorize_unroll import ParallelizeVectorizeUnroll
from .random_compute_location import RandomComputeLocation
from .schedule_rule import PyScheduleRule, ScheduleRule, create

__all__ = ["CUSTOM_RULES", "AddRFactor", "ApplyCustomRule", "AutoBind", "AutoInline", "CrossThreadReduction",
           "InlineConstantScalars", "MultiLevelTiling", "MultiLevelTilingCuda", "MultiLevelTilingTensorCore",
           "ParallelizeVectorizeUnroll",
           "PyScheduleRule", "RandomComputeLocation", "ScheduleRule", "create", "register_custom_rule"]
