"""Task schedulers: gradient-based and round-robin, both streaming candidates."""

from .gradient_based import GradientBased
from .round_robin import RoundRobin
from .task_record import TaskRecord
from .task_scheduler import PyTaskScheduler, TaskScheduler, create
from .tune_result import TaskResult, TuneResult

__all__ = ["GradientBased", "PyTaskScheduler", "RoundRobin", "TaskRecord", "TaskResult", "TaskScheduler",
           "TuneResult", "create"]
