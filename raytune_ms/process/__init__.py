"""Process utilities shared by builders and runners: an isolated child worker process and the
per-machine measurement slot."""

from .measure_slot import MeasureSlot
from .subprocess_worker import RemoteError, SubprocessWorker, WorkerCrashed, WorkerError, WorkerTimeout

__all__ = ["MeasureSlot", "RemoteError", "SubprocessWorker", "WorkerCrashed", "WorkerError", "WorkerTimeout"]
