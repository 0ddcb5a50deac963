"""The `create(kind)` registries build every kind and name the known ones for an unknown kind."""

import pytest

from raytune_ms.builder import Builder
from raytune_ms.cost_model import CostModel, RandomModel
from raytune_ms.measure_callback import AddToDatabase, MeasureCallback, RemoveBuildArtifact, UpdateCostModel
from raytune_ms.runner import LocalRunner, Runner
from raytune_ms.search_strategy import ReplayFunc, ReplayTrace, SearchStrategy
from raytune_ms.space_generator import ScheduleFn, SpaceGenerator, SpaceGeneratorUnion
from raytune_ms.task_scheduler import GradientBased, RoundRobin, TaskScheduler


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
