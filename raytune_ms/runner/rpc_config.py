"""RPCConfig: the reference's RPC tracker settings, read as a Ray cluster's.

The reference reaches remote boards through an RPC tracker: a host and port to connect to, a
key that picks which registered devices serve the session, a priority among sessions, and a
session timeout. Here the remote devices are the nodes of a Ray cluster, and each field maps
onto Ray as follows (RPCRunner, in actors/rpc_runner.py, applies it):

- tracker_host, tracker_port: the cluster's address, "host:port" of its head (GCS) — what
  `ray.init(address=...)` and RAY_ADDRESS take. None: RAY_ADDRESS, else the cluster
  `ray start` left on this machine, else a new local Ray.
- tracker_key: a custom Ray resource; every runner actor requests one unit of it, so runners
  go only to the nodes started with it (`ray start --resources '{"KEY": N}'`). None: no
  custom resource (any node with a CPU, or a GPU for CUDA targets).
- session_timeout_sec: the measurement timeout of each candidate (its execution, as the
  runners' timeout_sec; never its transfer or its wait in a queue).
- session_priority: accepted for compatibility and otherwise unused: Ray has no priority
  among actor requests.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RPCConfig:
    """Where the remote runners are (see the module docstring for the mapping onto Ray)."""

    tracker_host: str | None = None
    tracker_port: int | str | None = None
    tracker_key: str | None = None
    session_priority: int = 1
    session_timeout_sec: int = 10

    def __post_init__(self):
        if (self.tracker_host is None) != (self.tracker_port is None):
            raise ValueError("RPCConfig: tracker_host and tracker_port go together (the cluster's "
                             f"head address), got host={self.tracker_host!r}, port={self.tracker_port!r}")
        if self.tracker_port is not None:
            try:
                port = int(self.tracker_port)
            except (TypeError, ValueError):
                port = -1
            if not 0 < port < 65536:
                raise ValueError(f"RPCConfig.tracker_port must be a port number, got {self.tracker_port!r}")
        if self.tracker_key is not None and (not isinstance(self.tracker_key, str) or not self.tracker_key):
            raise ValueError(f"RPCConfig.tracker_key must be a non-empty resource name, got {self.tracker_key!r}")
        if not isinstance(self.session_timeout_sec, (int, float)) or self.session_timeout_sec <= 0:
            raise ValueError(f"RPCConfig.session_timeout_sec must be > 0, got {self.session_timeout_sec!r}")
        if not isinstance(self.session_priority, int):
            raise ValueError(f"RPCConfig.session_priority must be an int, got {self.session_priority!r}")

    @property
    def address(self) -> str | None:
        """The cluster address "host:port" (None: found as ray.init would)."""
        if self.tracker_host is None:
            return None
        return f"{self.tracker_host}:{int(self.tracker_port)}"
