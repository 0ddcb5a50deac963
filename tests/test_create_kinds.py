"""The `create(kind)` registries: they build every kind, name the known ones for an unknown kind,
pass instances through, take user kinds, and every registered kind imports (a kind whose module
is missing fails here, not in a user's run)."""

import importlib
import pkgutil

import pytest

import raytune_ms
from raytune_ms import _registry
from raytune_ms.builder import Builder
from raytune_ms.cost_model import CostModel, PyCostModel, RandomModel
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


def _registries() -> list[type]:
    for info in pkgutil.walk_packages(raytune_ms.__path__, "raytune_ms."):
        importlib.import_module(info.name)
    found, todo = [], list(_registry.Registry.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if "KINDS" in cls.__dict__:
            found.append(cls)
    return found


def unavailable_kinds() -> list[str]:
    """'Base kind: error' for every registered kind whose entry does not load."""
    missing = []
    for base in _registries():
        for kind, entry in base.KINDS.items():
            try:
                _registry.load(entry)
            except (ImportError, AttributeError) as err:
                missing.append(f"{base.__name__} {kind!r}: {err}")
    return missing


def test_the_extension_points_have_registries():
    names = {base.__name__ for base in _registries()}
    assert {"Builder", "Runner", "Database", "CostModel", "SearchStrategy", "SpaceGenerator",
            "TaskScheduler", "MeasureCallback"} <= names


def test_every_registered_kind_imports():
    assert unavailable_kinds() == []


def test_a_kind_whose_module_is_missing_is_reported():
    CostModel.register("gone", "raytune_ms.cost_model.no_such_module:Gone")
    try:
        assert any("'gone'" in line for line in unavailable_kinds())
        with pytest.raises(ImportError, match="cost model kind 'gone' is not available"):
            CostModel.create("gone")
    finally:
        del CostModel.KINDS["gone"]


def test_create_accepts_an_instance_and_rejects_unknown_kinds():
    runner = Runner.create("local")
    try:
        assert Runner.create(runner) is runner
    finally:
        runner.shutdown()
    with pytest.raises(ValueError, match="unknown runner kind 'nope'; known kinds: .*local"):
        Runner.create("nope")


def test_users_register_their_own_kinds():
    class Constant(PyCostModel):
        def predict(self, context, candidates):
            return [1.0] * len(candidates)

    CostModel.register("constant", Constant)
    try:
        assert "constant" in CostModel.kinds()
        assert isinstance(CostModel.create("constant"), Constant)
        with pytest.raises(ValueError, match="already registered"):
            CostModel.register("constant", Constant)
    finally:
        del CostModel.KINDS["constant"]
