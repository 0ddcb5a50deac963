"""Runner configuration objects validate at construction with messages that name the field."""

import pytest

from raytune_ms.runner import CorrectnessConfig, EvaluatorConfig, LocalRunner


def test_evaluator_config_defaults_and_validation():
    cfg = EvaluatorConfig()
    assert (cfg.number, cfg.repeat, cfg.min_repeat_ms, cfg.enable_cpu_cache_flush) == (3, 1, 40, False)
    with pytest.raises(ValueError, match="EvaluatorConfig.number"):
        EvaluatorConfig(number=0)
    with pytest.raises(ValueError, match="EvaluatorConfig.min_repeat_ms"):
        EvaluatorConfig(min_repeat_ms=-1)
    with pytest.raises(ValueError, match="enable_cpu_cache_flush"):
        EvaluatorConfig(enable_cpu_cache_flush="yes")


def test_correctness_config_validation():
    assert CorrectnessConfig._normalized(True) == CorrectnessConfig()
    assert CorrectnessConfig._normalized(False) is None
    with pytest.raises(ValueError, match="CorrectnessConfig.rtol"):
        CorrectnessConfig(rtol=-1)


def test_runner_validates_its_configuration():
    with pytest.raises(ValueError, match="timeout_sec"):
        LocalRunner(timeout_sec=0)
    with pytest.raises(ValueError, match="max_workers"):
        LocalRunner(max_workers=0)
