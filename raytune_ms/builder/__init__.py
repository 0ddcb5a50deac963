"""Builders: compile scheduled modules into artifacts (locally in child processes, or on Ray
actors)."""

from .builder import Builder, BuilderFuture, BuilderInput, BuilderResult, PyBuilder, create
from .default_build import default_build, default_export
from .local_builder import LocalBuilder

__all__ = [
    "Builder", "BuilderFuture", "BuilderInput", "BuilderResult", "LocalBuilder", "PyBuilder",
    "create", "default_build", "default_export",
]
