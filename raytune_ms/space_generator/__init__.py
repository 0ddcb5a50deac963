"""Design space generators: schedule-fn and union here; "post-order-apply" registers in the
same table."""

from .schedule_fn import ScheduleFn
from .space_generator import PySpaceGenerator, SpaceGenerator, create
from .space_generator_union import SpaceGeneratorUnion

__all__ = ["PySpaceGenerator", "ScheduleFn", "SpaceGenerator", "SpaceGeneratorUnion", "create"]
