"""Task schedulers: gradient-based and round-robin, both streaming candidates."""

from .gradient_based import GradientBased
from .round_robin import RoundRobin
from .task_record import TaskRecord
from .task_scheduler import PyTaskScheduler, TaskScheduler, create

__all__ = ["GradientBased", "PyTaskScheduler", "RoundRobin", "TaskRecord", "TaskScheduler", "create"]
