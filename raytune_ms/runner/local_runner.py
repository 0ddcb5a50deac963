"""LocalRunner: measures on this machine, each worker thread driving its own child process."""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

from .measurer import Measurer
from .runner import Runner, RunnerFuture, RunnerInput, RunnerResult

QUEUE_PER_WORKER = 8


def resolve_bytes(artifact, artifact_path=None):
    """Artifact bytes from bytes, an object whose fetch() returns them (a Ray builder's), or
    (for user builders) a file path."""
    if artifact is None and artifact_path is not None:
        with open(artifact_path, "rb") as f:
            return f.read()
    if artifact is None or isinstance(artifact, (bytes, bytearray)) or hasattr(artifact, "expected"):
        return artifact  # (a baseline with expected() stands for itself)
    fetch = getattr(artifact, "fetch", None)
    if not callable(fetch):
        raise TypeError(f"an artifact must be bytes or have fetch(), got {type(artifact).__name__}")
    return fetch()


class LocalRunner(Runner):
    """Measure candidates in child processes of this process.

    timeout_sec, evaluator_config, cooldown_sec, alloc_repeat, f_alloc_argument,
    f_run_evaluator, f_cleanup and initializer follow the reference LocalRunner: each candidate
    is first run once on seeded arguments and checked, then f_alloc_argument(device, args_info,
    alloc_repeat) makes the timing arguments, f_run_evaluator(rt_mod, device,
    evaluator_config, repeated_args) times it on them and f_cleanup() releases what they hold
    (see runner.hooks; None: the defaults of the artifact's device type, the C harness for CPU
    and the CUDA driver-API evaluator for "cuda"). max_workers: concurrent measurements
    (default 1; the machine's measurement slot serialises them anyway unless slot=False).
    check_correctness: True, False or a CorrectnessConfig. slow_factor: a candidate whose first
    run is slower than this many times the task's best so far is reported with that one run
    instead of being timed in full (None: always in full).
    """

    @property
    def device_types(self) -> tuple:
        """What it can measure here (run_tuning refuses other targets up front): "cuda" too
        where this machine has a GPU."""
        from .cuda_evaluate import gpu_unavailable_reason

        return ("cpu", "cuda") if gpu_unavailable_reason() is None else ("cpu",)

    def __init__(self, timeout_sec: float = 30, evaluator_config=None, cooldown_sec: float = 0.0,
                 alloc_repeat: int = 1, f_alloc_argument=None, f_run_evaluator=None, f_cleanup=None,
                 initializer=None, *, max_workers: int = 1, check_correctness=True, slot=True,
                 num_threads: int | None = None, slow_factor: float | None = 5.0):
        if int(max_workers) < 1:
            raise ValueError(f"LocalRunner.max_workers must be >= 1, got {max_workers}")
        self.options = dict(
            timeout_sec=timeout_sec, evaluator_config=evaluator_config, cooldown_sec=cooldown_sec,
            initializer=initializer, check_correctness=check_correctness, slot=slot,
            num_threads=num_threads, slow_factor=slow_factor, alloc_repeat=alloc_repeat,
            f_alloc_argument=f_alloc_argument, f_run_evaluator=f_run_evaluator, f_cleanup=f_cleanup,
        )
        Measurer(**self.options).close()  # validate now, not on first use
        self.max_workers = int(max_workers)
        self.parallelism = self.max_workers
        self._pool = None
        self._measurers = None
        self._lock = threading.Lock()

    def __getstate__(self):
        return {"options": self.options, "max_workers": self.max_workers}

    def __setstate__(self, state):
        self.__init__(max_workers=state["max_workers"], **state["options"])

    def _start(self):
        with self._lock:
            if self._pool is None:
                self._measurers = [Measurer(**self.options) for _ in range(self.max_workers)]
                self._next = itertools.count()
                # more threads than measurers: queued candidates wait inside a Measurer, which
                # then measures them back to back under one hold of the machine's slot
                self._pool = ThreadPoolExecutor(QUEUE_PER_WORKER * self.max_workers,
                                                thread_name_prefix="raytune-runner")

    def _measure(self, runner_input: RunnerInput, measurer: Measurer) -> RunnerResult:
        try:
            artifact = resolve_bytes(runner_input.artifact, runner_input.artifact_path)
            baseline = resolve_bytes(runner_input.baseline)
        except Exception as err:  # a lost object, an unreadable file
            return RunnerResult(error_msg=f"artifact unavailable: {type(err).__name__}: {err}")
        return measurer.measure(artifact, runner_input.args_info, baseline, runner_input.device_type)

    def run(self, runner_inputs: list[RunnerInput]) -> list[RunnerFuture]:
        self._start()
        futures = []
        for runner_input in runner_inputs:
            measurer = self._measurers[next(self._next) % len(self._measurers)]
            cf = self._pool.submit(self._measure, runner_input, measurer)
            futures.append(RunnerFuture(cf.done, cf.result, lambda cf=cf: cf))
        return futures

    def shutdown(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                for measurer in self._measurers:
                    measurer.close()
                self._pool = self._measurers = None
