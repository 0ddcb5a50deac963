"""RayBuilder: builder actors that compile wherever there is CPU.

Each actor builds in its own child process (a compiler crash or hang costs only the child;
the timeout kills it) while holding its machine's measurement slot shared, so no build runs
on a machine while a measurement does. A build returns two objects: a small result and the
artifact's bytes; the driver only ever reads the first, and the second goes from the builder's
object store straight to the runner that needs it.
"""

from __future__ import annotations

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from raytune_ms.builder import Builder, BuilderFuture, BuilderResult
from raytune_ms.builder.local_builder import build_in_worker
from raytune_ms.process.measure_slot import MeasureSlot
from raytune_ms.process.subprocess_worker import SubprocessWorker

from .actor_pool import ActorCall, ActorPool, PoolHolder, fitting, lost_reason
from .ray_init import actor_options, init_ray, nodes_with
from .remote import RemoteArtifact, wait_refs


@ray.remote(max_restarts=0, max_concurrency=1)
class BuilderActor:
    def __init__(self, timeout_sec, f_build, f_export, initializer, slot):
        self.timeout_sec = timeout_sec
        self.f_build, self.f_export = f_build, f_export
        self.worker = SubprocessWorker(initializer=initializer)
        self.slot = MeasureSlot() if slot else None

    @ray.method(num_returns=2)
    def build(self, build_input):
        result = build_in_worker(self.worker, build_input, self.f_build, self.f_export,
                                 self.timeout_sec, self.slot)
        artifact, result.artifact = result.artifact, None
        return result, artifact

    def pid(self) -> int:
        import os

        return os.getpid()


class RayBuilder(PoolHolder, Builder):
    """Builds on a pool of Ray actors.

    num_builders: actors in the pool. By default, as many as the cluster's free CPUs hold minus
    one per node for its runner, plus one per node that reserves no CPU: it builds on the
    runner's core, which idles while builds run (the measurement slot never lets a build and a
    measurement overlap on a machine). When no CPU is free (another job holds them), the pool
    thus holds only actors that reserve none, and never waits for CPUs (see ActorPool).
    resources: per actor (default {"CPU": 1}; add a custom resource such as {"CPU": 1,
    "builder": 1} to keep builders on chosen nodes). timeout_sec, f_build, f_export,
    initializer: as LocalBuilder. max_retries: re-sends of a build whose actor died.
    """

    scheduler_host = "actors.task_scheduler_actor:tune_in_actor"
    candidate_map_host = "actors.search_workers:RayCandidateMap"

    def __init__(self, num_builders: int | None = None, *, timeout_sec: float = 30.0, f_build=None,
                 f_export=None, initializer=None, resources: dict | None = None, slot: bool = True,
                 max_retries: int = 3):
        if num_builders is not None and int(num_builders) < 1:
            raise ValueError(f"RayBuilder.num_builders must be >= 1, got {num_builders}")
        if timeout_sec is None or timeout_sec <= 0:
            raise ValueError(f"RayBuilder.timeout_sec must be > 0, got {timeout_sec!r}")
        self.num_builders = num_builders
        self.timeout_sec = float(timeout_sec)
        self.f_build, self.f_export, self.initializer = f_build, f_export, initializer
        self.resources = dict(resources or {"CPU": 1})
        self.slot = bool(slot)
        self.max_retries = int(max_retries)
        self._pool = None

    def _start(self) -> ActorPool:
        if self._pool is None:
            init_ray()
            nodes = nodes_with({"CPU": 1})
            if self.num_builders:
                size, borrowed = self.num_builders, 0
            else:
                size = max(0, fitting(self.resources) - len(nodes))
                borrowed = len(nodes) if self.slot else 0
            options = actor_options(self.resources)
            fallback = actor_options({**self.resources, "CPU": 0})
            args = (self.timeout_sec, self.f_build, self.f_export, self.initializer, self.slot)

            def make(index, name):
                return BuilderActor.options(name=name, **options).remote(*args)

            def make_fallback(index, name):
                opts = dict(fallback, name=name)
                if nodes:
                    node = nodes[index % len(nodes)]
                    opts["scheduling_strategy"] = NodeAffinitySchedulingStrategy(node, soft=True)
                return BuilderActor.options(**opts).remote(*args)

            self._pool = ActorPool(make, size, "builder", resources=self.resources,
                                   make_fallback=make_fallback, borrowed=borrowed)
        return self._pool

    @property
    def parallelism(self) -> int:
        return len(self._start())

    def submit(self, build_inputs) -> list[BuilderFuture]:
        pool = self._start()
        out = []
        for build_input in build_inputs:
            call = ActorCall(
                pool,
                lambda actor, inp=build_input: tuple(actor.build.remote(inp)),
                on_value=_with_artifact,
                on_error=lambda err: BuilderResult(error_msg=f"build error: {err}"),
                on_lost=lambda err, n: BuilderResult(error_msg=f"build lost: {lost_reason(err, n)}"),
                max_retries=self.max_retries,
            )
            out.append(BuilderFuture(call.done, call.result, call.wait_handle, waiter=wait_refs))
        return out

    def build(self, build_inputs) -> list[BuilderResult]:
        return [f.result() for f in self.submit(build_inputs)]


def _with_artifact(meta: BuilderResult, refs) -> BuilderResult:
    """The driver-side result: the actor's small result plus the artifact, left in the object
    store."""
    if meta.error_msg is None:
        meta.artifact = RemoteArtifact(refs[1])
    return meta
