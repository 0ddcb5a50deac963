"""UpdateCostModel: train the run's cost model on each group of results (errors included; a
model decides what a failure costs)."""

from __future__ import annotations

from .measure_callback import MeasureCallback


class UpdateCostModel(MeasureCallback):
    def apply(self, task_scheduler, task_id, measure_candidates, builder_results, runner_results):
        cost_model = task_scheduler.cost_model
        if cost_model is None:
            return
        ctx = task_scheduler.tasks[task_id].ctx
        cost_model.update(ctx, measure_candidates, runner_results)
