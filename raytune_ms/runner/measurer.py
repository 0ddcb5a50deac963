"""Measuring one built candidate safely: in a child process, under the machine's measurement
slot, with a timeout on execution only, and turning every failure into an error result.

LocalRunner's threads and the Ray runner actors both measure through a Measurer.
"""

from __future__ import annotations

import collections
import hashlib
import os
import socket
import threading
import time

from ..process.measure_slot import MeasureSlot
from ..process.subprocess_worker import RemoteError, SubprocessWorker, WorkerCrashed, WorkerError, WorkerTimeout
from .config import CorrectnessConfig, EvaluatorConfig
from .evaluate import arg_layouts, arg_specs, first_run, install_baseline, prepare_baseline, time_loaded
from .hooks import MeasureHooks
from .runner import RunnerResult

#: The untransformed program may be slow (it is unscheduled): it gets this many timeouts.
BASELINE_TIMEOUT_FACTOR = 10
#: Baseline outputs the parent keeps for respawned children (the most recent tasks').
KEPT_BASELINES = 8
#: A first run at least this long is precise enough on its own: the candidate is not timed again.
ONE_RUN_S = 1.0
#: A first run still going after this many times the task's best (and ONE_RUN_S) is stopped:
#: the candidate is recorded as "too slow" (it cannot win) instead of costing seconds.
STOP_FACTOR = 20


class Measurer:
    """Times artifacts in a respawning child process, one at a time.

    `measure` may be called from several threads: calls queue for the child, and the
    machine's measurement slot is taken by the first and released by the last of a run of
    queued calls, so queued candidates are measured back to back.

    timeout_sec bounds each candidate's execution in the child (loading, first run and check;
    then the timed runs), never its wait for the slot or in a queue. num_threads sets OMP_NUM_THREADS in
    the child (default: every core of the machine, which the measurement slot reserves).
    slot: a MeasureSlot, True for the machine's default slot, or False for none.
    slow_factor: a candidate whose first run takes longer than this many times the best mean
    time measured so far for its task, or longer than ONE_RUN_S (and in either case longer than
    min_repeat_ms), is reported with that one run instead of being timed in full; one whose
    first run goes on past STOP_FACTOR times the best (and ONE_RUN_S) is stopped and recorded
    as "too slow" (None: time every candidate in full, stop none before timeout_sec).
    alloc_repeat, f_alloc_argument, f_run_evaluator, f_cleanup: the device hooks that time a
    checked candidate (runner.hooks; None: the device type's defaults).
    """

    def __init__(self, timeout_sec: float = 30.0, evaluator_config=None, check_correctness=True,
                 cooldown_sec: float = 0.0, *, slot=True, num_threads: int | None = None,
                 initializer=None, node: str | None = None, stderr=None,
                 slow_factor: float | None = 5.0, alloc_repeat: int = 1, f_alloc_argument=None,
                 f_run_evaluator=None, f_cleanup=None):
        if not timeout_sec or timeout_sec <= 0:
            raise ValueError(f"timeout_sec must be > 0, got {timeout_sec!r}")
        if slow_factor is not None and not slow_factor >= 1:
            raise ValueError(f"slow_factor must be >= 1 or None, got {slow_factor!r}")
        self.slow_factor = slow_factor
        self.timeout_sec = float(timeout_sec)
        self.evaluator_config = EvaluatorConfig._normalized(evaluator_config)
        self.hooks = MeasureHooks(alloc_repeat, f_alloc_argument, f_run_evaluator, f_cleanup)
        self.check = CorrectnessConfig._normalized(check_correctness)
        self.cooldown_sec = float(cooldown_sec)
        self.slot = MeasureSlot() if slot is True else (slot or None)
        threads = num_threads or os.cpu_count() or 1
        self.worker = SubprocessWorker(
            env={"OMP_NUM_THREADS": str(threads)}, initializer=initializer, stderr=stderr
        )
        self.node = node or socket.gethostname()
        self._prepared: set = set()
        self._outputs: collections.OrderedDict = collections.OrderedDict()  # key -> baseline outputs
        self._best: dict = {}  # task key -> best mean seconds measured here
        self.stats = {"measured": 0, "busy_s": 0.0, "slot_wait_s": 0.0}
        self._lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._queued = 0
        self._slot_token = None

    def __getstate__(self):
        raise TypeError("a Measurer owns a process and locks; create one where it measures")

    def close(self) -> None:
        self.worker.close()

    def _reference_key(self, baseline, specs) -> str:
        if hasattr(baseline, "digest"):
            digest = hashlib.sha1(baseline.digest().encode())
        else:
            digest = hashlib.sha1(baseline)
        digest.update(repr((specs, self.check.seed)).encode())
        return digest.hexdigest()

    def _limits(self, task_key) -> tuple:
        """(cutoff, stop_after): a first run longer than cutoff is the result; one still running
        after stop_after seconds is stopped (None: no such limit)."""
        if self.slow_factor is None:
            return None, None
        best = self._best.get(task_key)
        floor = self.evaluator_config.min_repeat_ms / 1e3
        if best is None:
            return max(ONE_RUN_S, floor), None
        cutoff = max(min(self.slow_factor * best, ONE_RUN_S), floor)
        return cutoff, max(STOP_FACTOR * best, ONE_RUN_S, floor)

    def measure(self, artifact: bytes, args_info, baseline=None,
                device_type: str = "cpu") -> RunnerResult:
        """Run times of `artifact`, or an error result (crash, timeout, wrong output, ...)."""
        if not isinstance(artifact, (bytes, bytearray)):
            return RunnerResult(error_msg=f"runner got no artifact bytes (got {type(artifact).__name__})",
                                node=self.node)
        specs = arg_specs(args_info)
        check = self.check if baseline is not None else None
        key = self._reference_key(baseline, specs) if check is not None else None
        with self._count_lock:
            self._queued += 1
        with self._lock:
            try:
                waited = time.perf_counter()
                if self.slot is not None and self._slot_token is None:
                    self._slot_token = self.slot.acquire_measure()
                started = time.perf_counter()
                task_key = key or repr(specs)
                result = self._measure_locked(artifact, specs, check, key, baseline, device_type,
                                              self._limits(task_key), arg_layouts(args_info))
                if result.error_msg is None and result.run_secs:
                    mean = sum(result.run_secs) / len(result.run_secs)
                    self._best[task_key] = min(mean, self._best.get(task_key, mean))
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

    def _measure_locked(self, artifact, specs, check, key, baseline, device_type, limits,
                        layouts=None) -> RunnerResult:
        if key is not None:
            generation = self.worker.ensure_started()
            if (generation, key) not in self._prepared:
                try:
                    if key in self._outputs:  # computed by an earlier child
                        self.worker.call(install_baseline, key, self._outputs[key], timeout=self.timeout_sec)
                    else:
                        self._outputs[key] = self.worker.call(
                            prepare_baseline, baseline, key, specs, check.seed, device_type,
                            timeout=self.timeout_sec * BASELINE_TIMEOUT_FACTOR,
                        )
                        while len(self._outputs) > KEPT_BASELINES:
                            self._outputs.popitem(last=False)
                except WorkerError as err:
                    return RunnerResult(
                        error_msg=f"correctness check unavailable: the baseline failed: {err}",
                        node=self.node,
                    )
                self._outputs.move_to_end(key)
                self._prepared.add((self.worker.generation, key))
        cutoff, stop_after = limits
        first_limit = self.timeout_sec if stop_after is None else min(self.timeout_sec, stop_after)
        try:
            try:
                first = self.worker.call(first_run, bytes(artifact), specs, check, key, device_type, layouts,
                                         timeout=first_limit)
            except WorkerTimeout:
                if first_limit < self.timeout_sec:
                    return RunnerResult(error_msg=f"too slow: stopped after {first_limit:.3g} s, over "
                                                  f"{STOP_FACTOR}x the best time so far", node=self.node)
                raise
            if cutoff is not None and first > cutoff:
                return RunnerResult([first], node=self.node)
            secs = self.worker.call(time_loaded, self.evaluator_config, self.hooks, timeout=self.timeout_sec)
        except WorkerTimeout as err:
            return RunnerResult(error_msg=f"timeout: the candidate {err}", node=self.node)
        except WorkerCrashed as err:
            return RunnerResult(error_msg=f"crash: {err}", node=self.node)
        except RemoteError as err:
            if err.exc_type == "WrongResult":
                return RunnerResult(error_msg=str(err).split(": ", 1)[1], node=self.node)
            return RunnerResult(error_msg=f"run error: {err}\n{err.remote_traceback}", node=self.node)
        return RunnerResult(secs, node=self.node)
