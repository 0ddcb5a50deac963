"""Configuration objects validate at construction with messages that name the field, and the
`create(kind)` registries name the known kinds."""

import pytest

from raytune_ms.builder import Builder
from raytune_ms.cost_model import CostModel, RandomModel
from raytune_ms.measure_callback import AddToDatabase, MeasureCallback, RemoveBuildArtifact, UpdateCostModel
from raytune_ms.runner import CorrectnessConfig, EvaluatorConfig, LocalRunner, Runner
from raytune_ms.search_strategy import ReplayFunc, ReplayTrace, SearchStrategy
from raytune_ms.space_generator import ScheduleFn, SpaceGenerator, SpaceGeneratorUnion
from raytune_ms.task_scheduler import GradientBased, RoundRobin, TaskScheduler


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


def test_create_kinds():
    assert isinstance(Builder.create("local"), Builder)
    assert isinstance(Runner.create("local"), LocalRunner)
    assert isinstance(CostModel.create("random", seed=1), RandomModel)
    assert isinstance(SearchStrategy.create("replay-trace"), ReplayTrace)
    assert isinstance(SearchStrategy.create("replay-func"), ReplayFunc)
    assert isinstance(SpaceGenerator.create(lambda sch: None), ScheduleFn)
    assert isinstance(SpaceGenerator.create([lambda sch: None, lambda sch: None]), SpaceGeneratorUnion)
    assert isinstance(TaskScheduler.create("round-robin"), RoundRobin)
    assert isinstance(TaskScheduler.create(), GradientBased)
    kinds = [type(cb) for cb in MeasureCallback.create("default")]
    assert kinds == [AddToDatabase, RemoveBuildArtifact, UpdateCostModel]


def test_unknown_kind_names_the_known_ones():
    with pytest.raises(ValueError, match="known kinds: gradient, round-robin"):
        TaskScheduler.create("fifo")
    with pytest.raises(ValueError, match="unknown builder kind 'remote'"):
        Builder.create("remote")


def test_random_model_save_load_round_trip(tmp_path):
    model = RandomModel(seed=3)
    path = str(tmp_path / "model.json")
    model.save(path)
    first = model.predict(None, [0] * 5)
    model.load(path)
    assert list(model.predict(None, [0] * 5)) == list(first)
    assert all(0 <= x < 100 for x in first)
