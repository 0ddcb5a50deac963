"""The builder interface: BuilderInput (a scheduled module and its target), BuilderResult (the
artifact, or why it failed), BuilderFuture (for streaming), Builder and PyBuilder."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from .. import _registry
from ..future import ResultFuture


class BuilderInput:
    """mod: the IRModule to build (one PrimFunc); target: a Target or target string;
    params: reserved for constant parameters (unused by the built-in builders)."""

    __slots__ = ("mod", "target", "params")

    def __init__(self, mod, target, params=None):
        self.mod = mod
        self.target = target
        self.params = params

    def __repr__(self):
        return f"BuilderInput(target={str(self.target)!r})"


class BuilderResult:
    """The outcome of one build.

    artifact: the shared object as bytes, or an object whose `fetch()` returns them (the Ray
    builder's: bytes move through the object store, never as a path only one node can see).
    artifact_path: a file, for user builders that write one. error_msg: why the build
    failed (None on success). build_secs: the wall time of the build.
    """

    __slots__ = ("artifact_path", "error_msg", "artifact", "build_secs")

    def __init__(self, artifact_path: str | None = None, error_msg: str | None = None, *,
                 artifact=None, build_secs: float | None = None):
        self.artifact_path = artifact_path
        self.error_msg = error_msg
        self.artifact = artifact
        self.build_secs = build_secs

    @property
    def ok(self) -> bool:
        return self.error_msg is None and (self.artifact is not None or self.artifact_path is not None)

    def __repr__(self):
        if self.error_msg is not None:
            return f"BuilderResult(error={self.error_msg.strip()[:80]!r})"
        kind = type(self.artifact).__name__ if self.artifact is not None else "path"
        return f"BuilderResult(artifact={kind})"


#: a build that may still be running (the future class shared with the runner)
BuilderFuture = ResultFuture


_FALLBACK_POOL = None
_FALLBACK_LOCK = threading.Lock()


def _fallback_pool() -> ThreadPoolExecutor:
    global _FALLBACK_POOL
    with _FALLBACK_LOCK:
        if _FALLBACK_POOL is None:
            _FALLBACK_POOL = ThreadPoolExecutor(4, thread_name_prefix="raytune-build")
        return _FALLBACK_POOL


class Builder(_registry.Registry):
    """Compiles scheduled modules into artifacts.

    `build` is the reference's blocking call. `submit` returns futures so the task scheduler
    can stream; builders that only implement `build` get a `submit` that runs it on a thread.
    `parallelism` says how many builds proceed at once.
    """

    KINDS = {
        "local": "raytune_ms.builder.local_builder:LocalBuilder",
        "ray": "actors.builder_pool:RayBuilder",
    }
    KIND_NOUN = "builder"

    parallelism: int = 1
    #: where a task scheduler may run next to this builder's workers: None (in the caller's
    #: process), or a registry entry ("module:attr") of a function
    #: `host(scheduler, tune_kwargs, work_dir, progress_callback) -> TuneResult` (the Ray layer's
    #: task-scheduler actor)
    scheduler_host = None

    def build(self, build_inputs: list[BuilderInput]) -> list[BuilderResult]:
        raise NotImplementedError

    def submit(self, build_inputs: list[BuilderInput]) -> list[BuilderFuture]:
        build_inputs = list(build_inputs)
        cf = _fallback_pool().submit(self.build, build_inputs)
        return [
            BuilderFuture(cf.done, lambda i=i: cf.result()[i], lambda: cf)
            for i in range(len(build_inputs))
        ]

    def shutdown(self) -> None:
        """Release processes/actors held by this builder (restarted if used again)."""

    @staticmethod
    def create(kind="local", *args, **kwargs) -> Builder:
        """A builder of the given kind: "local" (child processes here) or "ray" (actors)."""
        return Builder._create_kind(kind, *args, **kwargs)


class PyBuilder(Builder):
    """The base for user builders (decorate subclasses with `derived_object`); override build."""

    def build(self, build_inputs: list[BuilderInput]) -> list[BuilderResult]:
        raise NotImplementedError


def create(kind="local", *args, **kwargs) -> Builder:
    """Same as `Builder.create`."""
    return Builder.create(kind, *args, **kwargs)
