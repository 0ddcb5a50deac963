"""Runners: measure built artifacts (locally in child processes, or on Ray actors)."""

from .config import CorrectnessConfig, EvaluatorConfig
from .local_runner import LocalRunner
from .measurer import Measurer
from .rpc_config import RPCConfig
from .runner import PyRunner, PyRunnerFuture, Runner, RunnerFuture, RunnerInput, RunnerResult, create

__all__ = [
    "CorrectnessConfig", "EvaluatorConfig", "LocalRunner", "Measurer", "PyRunner",
    "PyRunnerFuture", "RPCConfig", "Runner", "RunnerFuture", "RunnerInput", "RunnerResult", "create",
]
