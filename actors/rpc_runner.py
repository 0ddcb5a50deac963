"""RPCRunner: the reference's remote-device runner, on a Ray cluster (`Runner.create("rpc")`).

The reference connects to an RPC tracker, asks it for a device by key, uploads each built
module to that device and times it there. Here the devices are Ray nodes and the runners are
Ray actors on them (a RayRunner): the tracker's host and port are the cluster's address, the
key is a custom resource every runner actor requests (so runners land only on the nodes that
advertise it), and the session timeout is the measurement timeout. raytune_ms.runner.RPCConfig
documents the mapping field by field.

What has no counterpart: a session (an actor is one; the hooks' `session` argument is None)
and uploading (artifacts travel as Ray objects), so f_create_session and f_upload_module must
be None; session_priority is unused (Ray has no priority among actor requests).
"""

from __future__ import annotations

import ray

from raytune_ms.runner.rpc_config import RPCConfig

from .ray_init import init_ray
from .runner_pool import RayRunner


class _WithoutSession:
    """A hook of the reference's RPC signature (session first) called as the local hooks are."""

    def __init__(self, fn, extra_none: int = 0):
        self.fn, self.extra_none = fn, extra_none

    def __call__(self, *args):
        return self.fn(None, *args, *([None] * self.extra_none))


def _with_session(hook, extra_none: int = 0):
    if hook is None:
        return None
    if isinstance(hook, str):
        from raytune_ms import _registry

        hook = _registry.load(hook)
    return _WithoutSession(hook, extra_none)


class RPCRunner(RayRunner):
    """Measures on the Ray nodes that `rpc_config` names (see RPCConfig).

    evaluator_config, cooldown_sec, alloc_repeat, initializer: as LocalRunner.
    f_alloc_argument(session, device, args_info, alloc_repeat), f_run_evaluator(session,
    rt_mod, device, evaluator_config, repeated_args), f_cleanup(session, remote_path): the
    reference's RPC hooks, run in each runner's measurement child with session and remote_path
    None. max_workers: runner actors (default: one per node that has the tracker key's
    resource, one per GPU for CUDA targets). Given a tracker host and port, the runner attaches
    this process to that cluster when it is created (before any other pool starts Ray).
    """

    def __init__(self, rpc_config: RPCConfig | None = None, evaluator_config=None, cooldown_sec: float = 0.0,
                 alloc_repeat: int = 1, f_create_session=None, f_upload_module=None, f_alloc_argument=None,
                 f_run_evaluator=None, f_cleanup=None, max_workers: int | None = None, initializer=None):
        for name, hook in (("f_create_session", f_create_session), ("f_upload_module", f_upload_module)):
            if hook is not None:
                raise ValueError(f"RPCRunner.{name} has no counterpart on Ray (runner actors are the sessions, "
                                 "artifacts travel as Ray objects): pass None")
        self.rpc_config = RPCConfig() if rpc_config is None else rpc_config
        if not isinstance(self.rpc_config, RPCConfig):
            raise TypeError(f"RPCRunner.rpc_config must be an RPCConfig or None, got {rpc_config!r}")
        super().__init__(
            max_workers, timeout_sec=float(self.rpc_config.session_timeout_sec),
            evaluator_config=evaluator_config, cooldown_sec=cooldown_sec, initializer=initializer,
            alloc_repeat=alloc_repeat, f_alloc_argument=_with_session(f_alloc_argument),
            f_run_evaluator=_with_session(f_run_evaluator), f_cleanup=_with_session(f_cleanup, 1),
        )
        if self.rpc_config.address is not None:
            attach(self.rpc_config.address)

    def _resources(self, device_type: str) -> dict:
        base = super()._resources(device_type)
        key = self.rpc_config.tracker_key
        return {**base, key: 1} if key else base


def attach(address: str) -> None:
    """Attach this process to the cluster at `address`; an error when it is already attached
    to another one."""
    if ray.is_initialized():
        current = ray.get_runtime_context().gcs_address
        if current != address:
            raise RuntimeError(f"RPCRunner: this process is attached to the Ray cluster at {current}, "
                               f"not to the tracker {address} its RPCConfig names")
        return
    init_ray(address=address)
