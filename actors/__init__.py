"""The Ray layer: builder and runner actor pools, the task-scheduler actor, and Ray start-up.

Importing this package imports Ray; raytune_ms reaches it only through `Builder.create("ray")`,
`Runner.create("ray")` and tune_tasks."""

from .actor_pool import ActorCall, ActorPool
from .builder_pool import BuilderActor, RayBuilder
from .ray_init import init_ray
from .runner_pool import RayRunner, RunnerActor
from .tune_driver import TuneDriver, run_in_actor

__all__ = ["ActorCall", "ActorPool", "BuilderActor", "RayBuilder", "RayRunner", "RunnerActor",
           "TuneDriver", "init_ray", "run_in_actor"]
