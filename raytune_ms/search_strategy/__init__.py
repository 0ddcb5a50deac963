"""Search strategies: evolutionary (the default), replay-trace and replay-func."""

from ..measure_candidate import MeasureCandidate
from .evolutionary_search import EvolutionarySearch
from .measured_traces import MeasuredTraces, trace_key
from .replay_func import ReplayFunc
from .replay_trace import ReplayTrace
from .search_strategy import PySearchStrategy, SearchStrategy, candidate_from_schedule, create

__all__ = [
    "EvolutionarySearch", "MeasureCandidate", "MeasuredTraces", "PySearchStrategy", "ReplayFunc", "ReplayTrace",
    "SearchStrategy", "candidate_from_schedule", "create", "trace_key",
]
