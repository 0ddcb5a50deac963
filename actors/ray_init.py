"""Attaching to Ray: the cluster named by RAY_ADDRESS, else the cluster `ray start` left on
this machine, else a new local instance — with Ray's own logs kept out of the notebook.

The middle step is what `ray.init(address="auto")` means minus its legacy fallback, which
attaches to *any* Ray process found on the machine (another user's or another test's).

A RAY_ADDRESS that nothing listens on (a cluster since stopped) fails at once with a message
naming it, instead of Ray's minutes of "Failed to connect to GCS". ray.init replaces the
process's SIGTERM handler; a handler the caller installed (a run's StopOnSignal) is kept.
"""

from __future__ import annotations

import logging
import os
import signal
import tempfile
import threading

from raytune_ms.ray_address import check_address

QUIET = dict(log_to_driver=False, logging_level=logging.ERROR, configure_logging=True)


def init_ray(**kwargs) -> None:
    """Initialise Ray once per process; extra kwargs go to ray.init."""
    import ray

    if ray.is_initialized():
        return
    options = {**QUIET, **kwargs}
    address = options.pop("address", None) or os.environ.get("RAY_ADDRESS")  # an explicit one first
    main = threading.current_thread() is threading.main_thread()
    sigterm = signal.getsignal(signal.SIGTERM) if main else None
    try:
        _init(ray, address, options)
    finally:
        if main and callable(sigterm):
            signal.signal(signal.SIGTERM, sigterm)


def _init(ray, address, options) -> None:
    if address:
        check_address(address)
        ray.init(address=address, **options)
    elif os.path.exists(os.path.join(tempfile.gettempdir(), "ray", "ray_current_cluster")):
        try:
            ray.init(**options)  # the cluster `ray start` recorded
        except ConnectionError:  # a stale record of a cluster that is gone
            ray.init(address="local", include_dashboard=False, **options)
    else:
        ray.init(address="local", include_dashboard=False, **options)


def current_node_id() -> str:
    import ray

    return ray.get_runtime_context().get_node_id()


def actor_options(resources: dict) -> dict:
    """Ray actor options for a resource request like {"CPU": 1, "GPU": 1, "measure": 1}."""
    resources = dict(resources)
    options = {}
    if "CPU" in resources:
        options["num_cpus"] = resources.pop("CPU")
    if "GPU" in resources:
        options["num_gpus"] = resources.pop("GPU")
    if resources:
        options["resources"] = resources
    return options


def nodes_with(resources: dict) -> list[str]:
    """Ids of the alive nodes whose total resources cover `resources`."""
    import ray

    out = []
    for node in ray.nodes():
        if not node.get("Alive"):
            continue
        have = node.get("Resources", {})
        if all(have.get(k, 0) >= v for k, v in resources.items()):
            out.append(node["NodeID"])
    return out


def is_actor_failure(err: BaseException) -> bool:
    """True when a call failed because its actor (or node) went away, not because the
    method raised."""
    import ray.exceptions as rex

    if isinstance(err, rex.RayTaskError):
        return False
    return isinstance(err, (rex.RayActorError, rex.ActorUnavailableError, rex.WorkerCrashedError,
                            rex.NodeDiedError, rex.LocalRayletDiedError))
