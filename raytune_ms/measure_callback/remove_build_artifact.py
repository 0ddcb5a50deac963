"""RemoveBuildArtifact: drop each built artifact once measured (the bytes, or the Ray object
they live in, are freed when the last reference goes; a user builder's file is deleted)."""

from __future__ import annotations

import os

from .measure_callback import MeasureCallback


class RemoveBuildArtifact(MeasureCallback):
    def apply(self, task_scheduler, task_id, measure_candidates, builder_results, runner_results):
        for result in builder_results:
            if result is None:
                continue
            result.artifact = None
            path = result.artifact_path
            if path:
                try:
                    os.remove(path)
                except FileNotFoundError:
                    pass
                result.artifact_path = None
