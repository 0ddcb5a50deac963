"""The runner's device hooks, with the reference LocalRunner's meaning: how arguments are
allocated (f_alloc_argument), how a loaded candidate is timed on them (f_run_evaluator), and
what is released after each candidate (f_cleanup). They run in the measurement child process,
after the candidate's first run has been checked against the baseline.

    f_alloc_argument(device, args_info, alloc_repeat) -> repeated_args
        args_info: [["TENSOR", dtype, shape], ...]; returns alloc_repeat argument lists.
    f_run_evaluator(rt_mod, device, evaluator_config, repeated_args) -> costs
        rt_mod: the loaded candidate; returns seconds per call (one per repeat per argument list).
    f_cleanup() -> None

Each may be a callable (closures travel by value into the child) or a "module:attr" name; None
takes the device type's default: the CPU defaults here, the CUDA ones in cuda_evaluate.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import _registry
from ..runtime.aligned import aligned_copy
from .evaluate import checked_arguments

#: per device type: the default (f_alloc_argument, f_run_evaluator, f_cleanup)
DEFAULTS = {
    "cpu": ("raytune_ms.runner.hooks:default_alloc_argument",
            "raytune_ms.runner.hooks:default_run_evaluator",
            "raytune_ms.runner.hooks:default_cleanup"),
    "cuda": ("raytune_ms.runner.cuda_evaluate:alloc_argument",
             "raytune_ms.runner.cuda_evaluate:run_evaluator",
             "raytune_ms.runner.cuda_evaluate:cleanup"),
}


@dataclass(frozen=True)
class Device:
    """Where a candidate runs: device_type "cpu" or "cuda", and the device's index."""

    device_type: str = "cpu"
    device_id: int = 0


def _check(name: str, hook):
    if hook is not None and not callable(hook) and not (isinstance(hook, str) and ":" in hook):
        raise TypeError(f"{name} must be a callable, a 'module:attr' name or None, got {hook!r}")
    return hook


@dataclass(frozen=True)
class MeasureHooks:
    """The hooks one runner was configured with (None: the device type's default)."""

    alloc_repeat: int = 1
    f_alloc_argument: object = None
    f_run_evaluator: object = None
    f_cleanup: object = None

    def __post_init__(self):
        if not isinstance(self.alloc_repeat, int) or isinstance(self.alloc_repeat, bool) or self.alloc_repeat < 1:
            raise ValueError(f"alloc_repeat must be an int >= 1, got {self.alloc_repeat!r}")
        for name in ("f_alloc_argument", "f_run_evaluator", "f_cleanup"):
            _check(name, getattr(self, name))

    def resolved(self, device_type: str) -> tuple:
        """(f_alloc_argument, f_run_evaluator, f_cleanup) as callables for `device_type`."""
        if device_type not in DEFAULTS:
            raise ValueError(f"no runner hooks for device type {device_type!r}; known: {', '.join(DEFAULTS)}")
        given = (self.f_alloc_argument, self.f_run_evaluator, self.f_cleanup)
        return tuple(_registry.load(hook if hook is not None else default)
                     for hook, default in zip(given, DEFAULTS[device_type]))

    def measure(self, rt_mod, device_type: str, evaluator_config, args_info) -> list[float]:
        """Allocate, time, clean up (cleanup runs also when timing fails), on device 0 of
        `device_type`."""
        device = Device(device_type)
        f_alloc, f_run, f_cleanup = self.resolved(device_type)
        try:
            repeated = f_alloc(device, args_info, self.alloc_repeat)
            return [float(s) for s in f_run(rt_mod, device, evaluator_config, repeated)]
        finally:
            f_cleanup()


def default_alloc_argument(device: Device, args_info, alloc_repeat: int) -> list[list]:
    """alloc_repeat cache-line-aligned copies of the arguments the candidate was checked on."""
    inputs = checked_arguments()
    return [[aligned_copy(a) for a in inputs] for _ in range(alloc_repeat)]


def default_run_evaluator(rt_mod, device: Device, evaluator_config, repeated_args) -> list[float]:
    """The artifact's C harness on each argument list: `repeat` means per list."""
    costs = []
    for args in repeated_args:
        costs.extend(rt_mod.time(*args, number=evaluator_config.number, repeat=evaluator_config.repeat,
                                 min_repeat_ms=evaluator_config.min_repeat_ms,
                                 enable_cpu_cache_flush=evaluator_config.enable_cpu_cache_flush))
    return costs


def default_cleanup() -> None:
    """Nothing to release on the CPU (the arguments are numpy arrays)."""
