"""Probing a Ray address before attaching to it: a RAY_ADDRESS left over from a stopped cluster
makes ray.init retry for minutes ("Failed to connect to GCS"); a short socket connect says at
once that nothing listens there. Plain sockets, no Ray: the CLI checks before anything starts."""

from __future__ import annotations

import os
import socket


def check_address(address: str, timeout_s: float = 3.0) -> None:
    """Raise ConnectionError naming `address` (a "host:port" or "ray://host:port" Ray address)
    when nothing accepts a connection there; other forms ("auto", "local") pass."""
    hostport = address.split("://", 1)[1] if address.startswith("ray://") else address
    if "://" in hostport or ":" not in hostport:
        return
    host, _, port = hostport.rpartition(":")
    if not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
    except OSError as err:
        origin = "RAY_ADDRESS" if os.environ.get("RAY_ADDRESS") == address else "the Ray address"
        raise ConnectionError(
            f"no Ray cluster at {origin}={address} ({err.strerror or err}); start the cluster, or "
            "`unset RAY_ADDRESS` to run on a local Ray instance") from None
