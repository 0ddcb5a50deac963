"""Measure callbacks: what happens to each group of results as it arrives (commit to the
database, train the cost model, free the artifacts)."""

from __future__ import annotations

from .. import _registry


class MeasureCallback(_registry.Registry):
    """apply(task_scheduler, task_id, measure_candidates, builder_results, runner_results).

    The scheduler exposes `tasks` (TaskRecords with `.ctx`), `database` and `cost_model`."""

    KINDS = {
        "add-to-database": "raytune_ms.measure_callback.add_to_database:AddToDatabase",
        "update-cost-model": "raytune_ms.measure_callback.update_cost_model:UpdateCostModel",
        "remove-build-artifact": "raytune_ms.measure_callback.remove_build_artifact:RemoveBuildArtifact",
    }
    KIND_NOUN = "measure callback"

    def apply(self, task_scheduler, task_id: int, measure_candidates: list, builder_results: list,
              runner_results: list) -> None:
        raise NotImplementedError

    @staticmethod
    def create(kind="default") -> list[MeasureCallback]:
        """"default": [AddToDatabase, RemoveBuildArtifact, UpdateCostModel]; or one named kind
        (or a callback object) as a one-element list."""
        if kind == "default":
            return [
                MeasureCallback.create(k)[0]
                for k in ("add-to-database", "remove-build-artifact", "update-cost-model")
            ]
        return [MeasureCallback._create_kind(kind)]


class PyMeasureCallback(MeasureCallback):
    """The base for user callbacks (decorate subclasses with `derived_object`); override apply."""


def create(kind="default") -> list[MeasureCallback]:
    """Same as `MeasureCallback.create`."""
    return MeasureCallback.create(kind)
