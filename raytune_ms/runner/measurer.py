"""Measuring one built candidate safely: in a child process, under the machine's measurement
slot, with a timeout on execution only, and turning every failure into an error result.

LocalRunner's threads and the Ray runner actors both measure through a Measurer.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time

from .config import CorrectnessConfig, EvaluatorConfig
from .evaluate import arg_specs, evaluate, prepare_reference
from .measure_slot import MeasureSlot
from .runner import RunnerResult
from .subprocess_worker import RemoteError, SubprocessWorker, WorkerCrashed, WorkerError, WorkerTimeout

#: The untransformed program may be slow (it is unscheduled): it gets this many timeouts.
REFERENCE_TIMEOUT_FACTOR = 10


class Measurer:
    """Times artifacts in a respawning child process, one at a time.

    `measure` may be called from several threads: calls queue for the child, and the
    machine's measurement slot is taken by the first and released by the last of a run of
    queued calls, so queued candidates are measured back to back.

    timeout_sec bounds each candidate's execution in the child (loading, the check and the
    timed runs), never its wait for the slot or in a queue. num_threads sets OMP_NUM_THREADS in
    the child (default: every core of the machine, which the measurement slot reserves).
    slot: a MeasureSlot, True for the machine's default slot, or False for none.
    """

    def __init__(self, timeout_sec: float = 30.0, evaluator_config=None, check_correctness=True,
                 cooldown_sec: float = 0.0, *, slot=True, num_threads: int | None = None,
                 initializer=None, node: str | None = None, stderr=None):
        if not timeout_sec or timeout_sec <= 0:
            raise ValueError(f"timeout_sec must be > 0, got {timeout_sec!r}")
        self.timeout_sec = float(timeout_sec)
        self.evaluator_config = EvaluatorConfig._normalized(evaluator_config)
        self.check = CorrectnessConfig._normalized(check_correctness)
        self.cooldown_sec = float(cooldown_sec)
        self.slot = MeasureSlot() if slot is True else (slot or None)
        threads = num_threads or os.cpu_count() or 1
        self.worker = SubprocessWorker(
            env={"OMP_NUM_THREADS": str(threads)}, initializer=initializer, stderr=stderr
        )
        self.node = node or socket.gethostname()
        self._prepared: set = set()
        self.stats = {"measured": 0, "busy_s": 0.0, "slot_wait_s": 0.0}
        self._lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._queued = 0
        self._slot_token = None

    def __getstate__(self):
        raise TypeError("a Measurer owns a process and locks; create one where it measures")

    def close(self) -> None:
        self.worker.close()

    def _reference_key(self, reference: bytes, specs) -> str:
        digest = hashlib.sha1(reference)
        digest.update(repr((specs, self.check.seed)).encode())
        return digest.hexdigest()

    def measure(self, artifact: bytes, args_info, reference: bytes | None = None,
                device_type: str = "cpu") -> RunnerResult:
        """Run times of `artifact`, or an error result (crash, timeout, wrong output, ...)."""
        if not isinstance(artifact, (bytes, bytearray)):
            return RunnerResult(error_msg=f"runner got no artifact bytes (got {type(artifact).__name__})",
                                node=self.node)
        specs = arg_specs(args_info)
        check = self.check if reference is not None else None
        key = self._reference_key(reference, specs) if check is not None else None
        with self._count_lock:
            self._queued += 1
        with self._lock:
            try:
                waited = time.perf_counter()
                if self.slot is not None and self._slot_token is None:
                    self._slot_token = self.slot.acquire_measure()
                started = time.perf_counter()
                result = self._measure_locked(artifact, specs, check, key, reference, device_type)
                self.stats["measured"] += 1
                self.stats["slot_wait_s"] += started - waited
                self.stats["busy_s"] += time.perf_counter() - started
            finally:
                with self._count_lock:
                    self._queued -= 1
                    last = self._queued == 0
                if last and self._slot_token is not None:
                    self.slot.release(self._slot_token)
                    self._slot_token = None
            if self.cooldown_sec > 0:
                time.sleep(self.cooldown_sec)
        return result

    def _measure_locked(self, artifact, specs, check, key, reference, device_type) -> RunnerResult:
        if key is not None:
            generation = self.worker.ensure_started()
            if (generation, key) not in self._prepared:
                try:
                    self.worker.call(
                        prepare_reference, reference, key, specs, check.seed, device_type,
                        timeout=self.timeout_sec * REFERENCE_TIMEOUT_FACTOR,
                    )
                except WorkerError as err:
                    return RunnerResult(
                        error_msg=f"correctness check unavailable: the untransformed program failed: {err}",
                        node=self.node,
                    )
                self._prepared.add((self.worker.generation, key))
        try:
            secs = self.worker.call(
                evaluate, bytes(artifact), specs, self.evaluator_config, check, key, device_type,
                timeout=self.timeout_sec,
            )
        except WorkerTimeout as err:
            return RunnerResult(error_msg=f"timeout: the candidate {err}", node=self.node)
        except WorkerCrashed as err:
            return RunnerResult(error_msg=f"crash: {err}", node=self.node)
        except RemoteError as err:
            if err.exc_type == "WrongResult":
                return RunnerResult(error_msg=str(err).split(": ", 1)[1], node=self.node)
            return RunnerResult(error_msg=f"run error: {err}\n{err.remote_traceback}", node=self.node)
        return RunnerResult(secs, node=self.node)
