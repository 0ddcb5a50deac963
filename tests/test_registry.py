"""Every `create(kind)` registry: each registered kind imports (a kind whose module is missing
fails here, not in a user's run), instances pass through `create`, and users can register
kinds of their own."""

import importlib
import pkgutil

import pytest

import raytune_ms
from raytune_ms import _registry
from raytune_ms.cost_model import CostModel, PyCostModel
from raytune_ms.runner import Runner


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
