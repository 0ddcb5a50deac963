"""What the Ray layer hands the core: a waiter for futures backed by ObjectRefs, and artifacts
that stay in the object store until a runner needs their bytes."""

from __future__ import annotations

import ray


def wait_refs(refs: list, timeout: float | None) -> bool:
    """The waiter of futures whose wait handle is an ObjectRef (see RunnerFuture)."""
    ready, _ = ray.wait(refs, num_returns=1, timeout=timeout, fetch_local=False)
    return bool(ready)


class RemoteArtifact:
    """A built artifact in Ray's object store. A Ray runner passes `ref` to its actor (Ray moves
    the bytes node to node); any other runner calls `fetch()` for the bytes."""

    __slots__ = ("ref",)

    def __init__(self, ref: ray.ObjectRef):
        self.ref = ref

    def fetch(self) -> bytes:
        return ray.get(self.ref)

    def __repr__(self):
        return f"RemoteArtifact({self.ref.hex()[:12]})"


def object_ref(value):
    """The ObjectRef behind `value` (a RemoteArtifact or an ObjectRef), else None."""
    if isinstance(value, RemoteArtifact):
        return value.ref
    return value if isinstance(value, ray.ObjectRef) else None
