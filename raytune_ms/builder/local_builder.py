"""LocalBuilder: builds on this machine, each worker thread driving its own child process (a
compiler crash or hang costs only that child, and the timeout is enforced by killing it)."""

from __future__ import annotations

import os
import queue
import threading
from concurrent.futures import ThreadPoolExecutor

from ..process.measure_slot import MeasureSlot
from ..process.subprocess_worker import RemoteError, SubprocessWorker, WorkerError
from .builder import Builder, BuilderFuture, BuilderInput, BuilderResult
from .default_build import run_build


def build_in_worker(worker: SubprocessWorker, build_input: BuilderInput, f_build, f_export,
                    timeout_sec: float, slot: MeasureSlot | None) -> BuilderResult:
    """One build in `worker`, holding the machine's slot shared; failures become results."""
    try:
        if slot is not None:
            with slot.build():
                artifact, secs = worker.call(
                    run_build, f_build, f_export, build_input.mod, build_input.target,
                    build_input.params, timeout=timeout_sec,
                )
        else:
            artifact, secs = worker.call(
                run_build, f_build, f_export, build_input.mod, build_input.target,
                build_input.params, timeout=timeout_sec,
            )
    except RemoteError as err:
        return BuilderResult(error_msg=f"build error: {err}\n{err.remote_traceback}")
    except WorkerError as err:
        return BuilderResult(error_msg=f"build error: {err}")
    return BuilderResult(artifact=artifact, build_secs=secs)


class LocalBuilder(Builder):
    """Build candidates in child processes of this process.

    max_workers: concurrent builds (default: the machine's cores). timeout_sec: per build.
    f_build(mod, target, params) -> artifact bytes (default: C codegen + the system compiler).
    f_export(bytes) -> bytes: what travels to the runner (default: the artifact itself).
    initializer: run once in each child process. slot: hold the machine's measurement slot
    shared while compiling (so no build overlaps a measurement); False to skip.
    """

    def __init__(self, *, max_workers: int | None = None, timeout_sec: float = 30.0, f_build=None,
                 f_export=None, initializer=None, slot=True):
        max_workers = max_workers or os.cpu_count() or 1
        if int(max_workers) < 1:
            raise ValueError(f"LocalBuilder.max_workers must be >= 1, got {max_workers}")
        if timeout_sec is None or timeout_sec <= 0:
            raise ValueError(f"LocalBuilder.timeout_sec must be > 0, got {timeout_sec!r}")
        if isinstance(f_build, str) or isinstance(f_export, str):
            raise TypeError("f_build/f_export must be callables (no global function registry here)")
        self.max_workers = int(max_workers)
        self.parallelism = self.max_workers
        self.timeout_sec = float(timeout_sec)
        self.f_build = f_build
        self.f_export = f_export
        self.initializer = initializer
        self.slot = MeasureSlot() if slot is True else (slot or None)
        self._pool = None
        self._workers = None
        self._lock = threading.Lock()

    def __getstate__(self):
        state = dict(self.__dict__)
        state.update(_pool=None, _workers=None, _lock=None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def _start(self):
        with self._lock:
            if self._pool is None:
                self._workers = queue.Queue()
                for _ in range(self.max_workers):
                    self._workers.put(SubprocessWorker(initializer=self.initializer))
                self._pool = ThreadPoolExecutor(self.max_workers, thread_name_prefix="raytune-builder")

    def _build_one(self, build_input: BuilderInput) -> BuilderResult:
        worker = self._workers.get()
        try:
            return build_in_worker(worker, build_input, self.f_build, self.f_export, self.timeout_sec, self.slot)
        finally:
            self._workers.put(worker)

    def submit(self, build_inputs: list[BuilderInput]) -> list[BuilderFuture]:
        self._start()
        out = []
        for build_input in build_inputs:
            cf = self._pool.submit(self._build_one, build_input)
            out.append(BuilderFuture(cf.done, cf.result, lambda cf=cf: cf))
        return out

    def build(self, build_inputs: list[BuilderInput]) -> list[BuilderResult]:
        return [f.result() for f in self.submit(build_inputs)]

    def shutdown(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                while not self._workers.empty():
                    self._workers.get().close()
                self._pool = self._workers = None
