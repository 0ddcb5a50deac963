"""The scheduling language: Schedule, random variables, instructions, traces, ScheduleError."""

from .error import ScheduleError
from .instruction import Instruction, InstructionKind
from .random_variable import BlockRV, ExprRV, LoopRV
from .schedule import Schedule
from .trace import Trace

__all__ = ["BlockRV", "ExprRV", "Instruction", "InstructionKind", "LoopRV", "Schedule",
           "ScheduleError", "Trace"]
