"""The per-machine measurement slot: no build overlaps a measurement on the same machine.

Builders hold the slot shared while they compile; a runner holds it exclusively while it
measures (and keeps it while more of its candidates are queued, so measurements come in
batches between rounds of builds instead of each one waiting for a build to finish). It is a
pair of `flock` files in the system temp directory, so it needs no
coordinator, covers every process on the machine (every Ray node started on it, and other
tuning jobs), and is released by the kernel when a holder dies, so a killed actor never leaves
it locked. The "gate" file gives the runner priority: a runner waiting for the slot closes the
gate, so builders queue behind it instead of starving it.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from contextlib import contextmanager

DEFAULT_DIR = os.environ.get("RAYTUNE_MS_SLOT_DIR", tempfile.gettempdir())


class MeasureSlot:
    """`with slot.measure():` (exclusive) and `with slot.build():` (shared)."""

    def __init__(self, directory: str | None = None, name: str = "raytune_ms_measure_slot"):
        self.directory = directory or DEFAULT_DIR
        self.name = name

    def _open(self, suffix: str) -> int:
        path = os.path.join(self.directory, f"{self.name}.{suffix}")
        try:
            return os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        except PermissionError:  # another user's slot file: coordinate among our own processes
            return os.open(f"{path}.{os.getuid()}", os.O_RDWR | os.O_CREAT, 0o600)

    @contextmanager
    def _locked(self, suffix: str, mode: int):
        fd = self._open(suffix)
        try:
            fcntl.flock(fd, mode)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    @contextmanager
    def measure(self):
        token = self.acquire_measure()
        try:
            yield
        finally:
            self.release(token)

    def acquire_measure(self) -> tuple:
        """Take the slot exclusively (blocking); pass the token to `release` (from any thread)."""
        gate, slot = self._open("gate"), self._open("slot")
        try:
            fcntl.flock(gate, fcntl.LOCK_EX)
            fcntl.flock(slot, fcntl.LOCK_EX)
        except BaseException:
            os.close(gate)
            os.close(slot)
            raise
        return gate, slot

    @staticmethod
    def release(token: tuple) -> None:
        for fd in reversed(token):
            os.close(fd)

    @contextmanager
    def build(self):
        fd = self._open("slot")
        try:
            with self._locked("gate", fcntl.LOCK_EX):
                fcntl.flock(fd, fcntl.LOCK_SH)
            yield
        finally:
            os.close(fd)

    def __repr__(self):
        return f"MeasureSlot({os.path.join(self.directory, self.name)!r})"
