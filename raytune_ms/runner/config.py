"""Runner configuration: how a candidate is timed (EvaluatorConfig) and how its output is
checked against the untransformed program (CorrectnessConfig)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EvaluatorConfig:
    """How one candidate is timed, by the C harness inside its artifact.

    number: calls averaged into one repeat. repeat: repeats reported (run_secs has this many
    entries). min_repeat_ms: a repeat is lengthened (more calls) until it lasts this long.
    enable_cpu_cache_flush: flush the CPU caches before each call. One warm-up call precedes
    the timed ones. Defaults follow the reference runner (3, 1, 40 ms, no flush); its
    EvaluatorConfig class documents min_repeat_ms=100, its runners use 40.
    """

    number: int = 3
    repeat: int = 1
    min_repeat_ms: int = 40
    enable_cpu_cache_flush: bool = False

    def __post_init__(self):
        for name in ("number", "repeat"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"EvaluatorConfig.{name} must be an int >= 1, got {value!r}")
        if not isinstance(self.min_repeat_ms, (int, float)) or self.min_repeat_ms < 0:
            raise ValueError(f"EvaluatorConfig.min_repeat_ms must be >= 0, got {self.min_repeat_ms!r}")
        if not isinstance(self.enable_cpu_cache_flush, bool):
            raise ValueError(
                f"EvaluatorConfig.enable_cpu_cache_flush must be a bool, got {self.enable_cpu_cache_flush!r}"
            )

    @staticmethod
    def _normalized(config) -> EvaluatorConfig:
        if config is None:
            return EvaluatorConfig()
        if isinstance(config, EvaluatorConfig):
            return config
        if isinstance(config, dict):
            return EvaluatorConfig(**config)
        raise TypeError(f"evaluator_config must be an EvaluatorConfig, a dict or None, got {config!r}")


@dataclass(frozen=True)
class CorrectnessConfig:
    """Checking each candidate against the untransformed program.

    Every parameter (outputs included, so a kernel that forgets to initialise is caught) is
    filled with values drawn from `seed`; the baseline build and the candidate each run once
    on copies, and every array must agree within `rtol`/`atol` (NaNs must match). A candidate
    that disagrees is recorded as an error, never as a winner.
    """

    rtol: float = 1e-3
    atol: float = 1e-3
    seed: int = 0

    def __post_init__(self):
        for name in ("rtol", "atol"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"CorrectnessConfig.{name} must be a number >= 0, got {value!r}")
        if not isinstance(self.seed, int):
            raise ValueError(f"CorrectnessConfig.seed must be an int, got {self.seed!r}")

    @staticmethod
    def _normalized(check) -> CorrectnessConfig | None:
        """True -> defaults, False/None -> no check, a config -> itself."""
        if check is True:
            return CorrectnessConfig()
        if check is False or check is None:
            return None
        if isinstance(check, CorrectnessConfig):
            return check
        raise TypeError(f"check_correctness must be a bool or a CorrectnessConfig, got {check!r}")
