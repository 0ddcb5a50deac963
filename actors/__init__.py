"""The Ray layer: builder and runner actor pools, the task-scheduler actor, and Ray start-up.

Importing this package imports Ray; raytune_ms reaches it only through `Builder.create("ray")`,
`Runner.create("ray")`; the Ray builder and runner name the task-scheduler actor as their
`scheduler_host`, which tune_tasks uses."""

from . import quiet_import  # noqa: F401  (first: Ray's import, minus its notebook warnings)
from .actor_pool import ActorCall, ActorPool
from .builder_pool import BuilderActor, RayBuilder
from .ray_init import init_ray
from .remote import RemoteArtifact, wait_refs
from .runner_pool import RayRunner, RunnerActor
from .task_scheduler_actor import TaskSchedulerActor, tune_in_actor

__all__ = ["ActorCall", "ActorPool", "BuilderActor", "RayBuilder", "RayRunner", "RemoteArtifact",
           "RunnerActor", "TaskSchedulerActor", "init_ray", "tune_in_actor", "wait_refs"]
