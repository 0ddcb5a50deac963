"""The runner interface: RunnerInput (a built artifact and its arguments), RunnerResult (run
times or an error), RunnerFuture (a result that may still be running), Runner and PyRunner."""

from __future__ import annotations

from .. import _registry
from ..future import ResultFuture


class RunnerInput:
    """What a runner measures.

    artifact_path: a file path, for user runners that want one (the built-in builders never
    produce paths, which only one node could see). artifact: the built shared object as bytes,
    or an object whose `fetch()` returns them. device_type: "cpu" or "cuda". args_info: the kernel's
    arguments. baseline: what the correctness check compares with — the untransformed
    program's artifact (bytes, or an object whose fetch() returns them), an object with
    `expected(arrays)` (e.g. a SuiteBaseline: numpy), or None to skip the check.
    """

    __slots__ = ("artifact_path", "device_type", "args_info", "artifact", "baseline")

    def __init__(self, artifact_path, device_type: str, args_info, *, artifact=None, baseline=None):
        self.artifact_path = artifact_path
        self.device_type = device_type
        self.args_info = list(args_info)
        self.artifact = artifact
        self.baseline = baseline

    def __repr__(self):
        return f"RunnerInput(device_type={self.device_type!r}, {len(self.args_info)} args)"


class RunnerResult:
    """run_secs: one mean time per repeat (None on error); error_msg: why it failed (None on
    success); node: where it ran (provenance for the database)."""

    __slots__ = ("run_secs", "error_msg", "node")

    def __init__(self, run_secs=None, error_msg: str | None = None, *, node: str | None = None):
        self.run_secs = None if run_secs is None else [float(s) for s in run_secs]
        self.error_msg = error_msg
        self.node = node

    @property
    def ok(self) -> bool:
        return self.error_msg is None and bool(self.run_secs)

    def __repr__(self):
        if self.error_msg is not None:
            first = self.error_msg.strip().splitlines()[0] if self.error_msg.strip() else ""
            return f"RunnerResult(error={first[:80]!r})"
        return f"RunnerResult(run_secs={self.run_secs})"


#: a measurement that may still be running (the future class shared with the builder)
RunnerFuture = ResultFuture


class PyRunnerFuture(RunnerFuture):
    """The base for user futures: override done() and result() (and optionally wait_handle)."""

    def __init__(self):
        pass

    def done(self) -> bool:
        raise NotImplementedError

    def result(self) -> RunnerResult:
        raise NotImplementedError

    def wait_handle(self):
        return None


class Runner(_registry.Registry):
    """Runs built artifacts and reports their run times.

    `run` returns at once with one future per input. `parallelism` tells the task scheduler how
    many measurements can proceed at the same time (it keeps that many and more in flight).
    """

    KINDS = {
        "local": "raytune_ms.runner.local_runner:LocalRunner",
        "ray": "actors.runner_pool:RayRunner",
        "rpc": "actors.rpc_runner:RPCRunner",
    }
    KIND_NOUN = "runner"

    parallelism: int = 1
    #: where a task scheduler may run next to this runner's workers: None (in the caller's
    #: process), or a registry entry ("module:attr") of a function
    #: `host(scheduler, tune_kwargs, work_dir, progress_callback) -> TuneResult` (the Ray layer's
    #: task-scheduler actor)
    scheduler_host = None

    def run(self, runner_inputs: list[RunnerInput]) -> list[RunnerFuture]:
        raise NotImplementedError

    def shutdown(self) -> None:
        """Release processes/actors held by this runner (it restarts them if used again)."""

    @staticmethod
    def create(kind="local", *args, **kwargs) -> Runner:
        """A runner of the given kind: "local" (child processes on this machine), "ray"
        (measurement actors pinned to the target's resources) or "rpc" (the reference's
        RPCRunner: Ray actors on the nodes an RPCConfig names)."""
        return Runner._create_kind(kind, *args, **kwargs)


class PyRunner(Runner):
    """The base for user runners (decorate subclasses with `derived_object`); override run."""

    def run(self, runner_inputs: list[RunnerInput]) -> list[RunnerFuture]:
        raise NotImplementedError


def create(kind="local", *args, **kwargs) -> Runner:
    """Same as `Runner.create`."""
    return Runner.create(kind, *args, **kwargs)
