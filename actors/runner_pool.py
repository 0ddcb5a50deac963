"""RayRunner: measurement actors pinned to the target's hardware.

By default one runner per node that has the requested resources (CPU targets: {"CPU": 1}),
pinned there, because measurement on a machine is exclusive anyway (each runner holds its
machine's measurement slot while timing). CUDA targets get one runner per GPU ({"GPU": 1}, so
Ray gives each its own device), each holding a measurement slot of its GPU alone, and measure
through the CUDA hooks of runner.cuda_evaluate. A runner measures in
a long-lived child process that is respawned when a kernel kills it, so a segfault or a hang
becomes an error result and the actor lives on; if the actor itself dies, the pool replaces it
and re-sends its candidates. Artifacts arrive as ObjectRefs and are resolved by Ray before the
call starts, so the timeout never counts transfer or queueing.
"""

from __future__ import annotations

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from raytune_ms.process.measure_slot import MeasureSlot
from raytune_ms.runner import Runner, RunnerFuture, RunnerResult
from raytune_ms.runner.measurer import Measurer

from .actor_pool import ActorCall, ActorPool, fitting, lost_reason
from .ray_init import actor_options, current_node_id, init_ray, nodes_with
from .remote import object_ref, wait_refs


@ray.remote(max_restarts=0, max_concurrency=16)
class RunnerActor:
    """Calls run in threads and queue inside the Measurer: measurement stays one at a time,
    and candidates that arrive while one is measured are measured under the same hold of the
    machine's slot."""

    def __init__(self, options: dict, device_type: str = "cpu"):
        node = ray.util.get_node_ip_address()
        if device_type == "cuda" and options.get("slot", True) is True:
            options = dict(options, slot=gpu_slot())
        self.measurer = Measurer(**options, node=node)

    def run(self, artifact, args_info, baseline, device_type):
        return self.measurer.measure(artifact, args_info, baseline, device_type)

    def stats(self) -> dict:
        """Candidates measured, seconds measuring (holding the slot), seconds waiting for it."""
        return dict(self.measurer.stats)

    def pid(self) -> int:
        import os

        return os.getpid()


DEFAULT_RESOURCES = {"cpu": {"CPU": 1}, "cuda": {"GPU": 1}}


def gpu_slot() -> MeasureSlot:
    """The measurement slot of the GPU Ray gave this actor (the machine's when it has none):
    runners on two GPUs of one machine measure at the same time."""
    ids = ray.get_gpu_ids()
    return MeasureSlot(name=f"raytune_ms_measure_slot_gpu{ids[0]}") if ids else MeasureSlot()


def runner_nodes(resources: dict, device_type: str) -> list[str]:
    """Node ids to pin runners on: each node with `resources` once, and for "cuda" once per
    GPU request it can hold."""
    pinned = nodes_with(resources)
    if device_type != "cuda" or not resources.get("GPU"):
        return pinned
    gpus = {n["NodeID"]: n.get("Resources", {}).get("GPU", 0) for n in ray.nodes() if n.get("Alive")}
    return [node for node in pinned for _ in range(int(gpus.get(node, 0) // resources["GPU"]))]


class RayRunner(Runner):
    """Measures on a pool of Ray actors.

    num_runners: actors (default: one per node with the resources, each pinned to its node;
    when the cluster has no room for one, e.g. another job holds the CPUs, one that reserves
    no CPU — see ActorPool).
    resources: per actor (default by device: {"CPU": 1} or {"GPU": 1}; e.g. {"CPU": 1,
    "measure": 1} for nodes that advertise a custom "measure" resource). timeout_sec,
    evaluator_config, cooldown_sec, check_correctness, num_threads, slot, initializer,
    slow_factor, alloc_repeat, f_alloc_argument, f_run_evaluator, f_cleanup: as LocalRunner
    (the hooks run in each actor's measurement child). max_retries: re-sends of a candidate
    whose runner actor died.
    """

    scheduler_host = "actors.task_scheduler_actor:tune_in_actor"
    candidate_map_host = "actors.search_workers:RayCandidateMap"
    device_types = ("cpu", "cuda")  # what its actors can measure (CUDA: on the cluster's GPU nodes)

    def __init__(self, num_runners: int | None = None, *, timeout_sec: float = 30.0,
                 evaluator_config=None, cooldown_sec: float = 0.0, check_correctness=True,
                 resources: dict | None = None, num_threads: int | None = None, slot: bool = True,
                 initializer=None, max_retries: int = 3, slow_factor: float | None = 5.0,
                 alloc_repeat: int = 1, f_alloc_argument=None, f_run_evaluator=None, f_cleanup=None):
        if num_runners is not None and int(num_runners) < 1:
            raise ValueError(f"RayRunner.num_runners must be >= 1, got {num_runners}")
        self.options = dict(
            timeout_sec=timeout_sec, evaluator_config=evaluator_config, cooldown_sec=cooldown_sec,
            check_correctness=check_correctness, num_threads=num_threads, slot=slot,
            initializer=initializer, slow_factor=slow_factor, alloc_repeat=alloc_repeat,
            f_alloc_argument=f_alloc_argument, f_run_evaluator=f_run_evaluator, f_cleanup=f_cleanup,
        )
        Measurer(**self.options).close()  # validate the configuration now
        self.num_runners = num_runners
        self.resources = None if resources is None else dict(resources)
        self.max_retries = int(max_retries)
        self._pool = None
        self._device_type = None
        self._puts: dict = {}

    def __getstate__(self):
        state = dict(self.__dict__)
        state.update(_pool=None, _puts={})
        return state

    def _start(self, device_type: str = "cpu") -> ActorPool:
        if self._pool is None:
            init_ray()
            resources = self._resources(device_type)
            options = actor_options(resources)
            fallback = actor_options({**resources, "CPU": 0})
            pinned = runner_nodes(resources, device_type) if self.num_runners is None else []
            if self.num_runners is None and not pinned:
                raise RuntimeError(f"no alive Ray node has the runner resources {resources}")
            # one per node while the cluster has room for any; none when it has no room (another
            # job holds the resources): the pool then starts one that reserves no CPU
            size = self.num_runners or (len(pinned) if fitting(resources) > 0 else 0)
            here = current_node_id()
            home = here if here in pinned or not pinned else pinned[0]

            def make(index, name):
                opts = dict(options, name=name)
                if pinned:
                    opts["scheduling_strategy"] = NodeAffinitySchedulingStrategy(pinned[index], soft=True)
                return RunnerActor.options(**opts).remote(self.options, device_type)

            def make_fallback(index, name):
                strategy = NodeAffinitySchedulingStrategy(home, soft=True)
                return RunnerActor.options(name=name, scheduling_strategy=strategy,
                                           **fallback).remote(self.options, device_type)

            self._pool = ActorPool(make, size, "runner", resources=resources,
                                   make_fallback=make_fallback)
            self._device_type = device_type
        return self._pool

    def start(self, device_type: str = "cpu") -> RayRunner:
        """Create the pool now (its actors start while the first candidates build)."""
        self._start(device_type)
        return self

    @property
    def parallelism(self) -> int:
        """Runners in the pool (before it starts: how many it will have for a CPU target)."""
        if self._pool is not None:
            return len(self._pool)
        if self.num_runners is not None:
            return self.num_runners
        init_ray()
        return max(1, len(nodes_with(self._resources("cpu"))))

    def _resources(self, device_type: str) -> dict:
        """What each runner actor requests for artifacts of `device_type`."""
        return self.resources or DEFAULT_RESOURCES.get(device_type, {"CPU": 1})

    def _object(self, data, reuse: bool = False):
        """An ObjectRef for `data`; with reuse, the same bytes object is put only once (a
        task's baseline program rides with each of its candidates)."""
        if data is None or object_ref(data) is not None:
            return object_ref(data)
        if not reuse:
            return ray.put(data)
        key = id(data)
        if key not in self._puts:
            self._puts[key] = (data, ray.put(data))
        return self._puts[key][1]

    def run(self, runner_inputs) -> list[RunnerFuture]:
        runner_inputs = list(runner_inputs)
        if not runner_inputs:
            return []
        pool = self._start(runner_inputs[0].device_type)
        out = []
        for inp in runner_inputs:
            if inp.artifact is None and inp.artifact_path is not None:
                with open(inp.artifact_path, "rb") as f:
                    artifact = ray.put(f.read())
            else:
                artifact = self._object(inp.artifact)
            baseline = self._object(inp.baseline, reuse=True)
            args = (artifact, [a.as_json() if hasattr(a, "as_json") else a for a in inp.args_info],
                    baseline, inp.device_type)
            call = ActorCall(
                pool,
                lambda actor, args=args: (actor.run.remote(*args),),
                on_value=lambda value, refs: value,
                on_error=_error_result,
                on_lost=lambda err, n: RunnerResult(error_msg=f"run lost: {lost_reason(err, n)}"),
                max_retries=self.max_retries,
            )
            out.append(RunnerFuture(call.done, call.result, call.wait_handle, waiter=wait_refs))
        return out

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.kill_all()
            self._pool = None
        self._puts.clear()


def _error_result(err) -> RunnerResult:
    import ray.exceptions as rex

    if isinstance(err, (rex.ObjectLostError, rex.ObjectReconstructionFailedError, rex.OwnerDiedError)):
        return RunnerResult(error_msg=f"artifact lost: {type(err).__name__}")
    return RunnerResult(error_msg=f"runner error: {err}")
