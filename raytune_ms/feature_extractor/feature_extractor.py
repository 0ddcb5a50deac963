"""The feature extractor interface: turn measure candidates into feature matrices for a cost
model (one float32 array [rows, features] per candidate)."""

from __future__ import annotations

import numpy as np

from .. import _registry


class FeatureExtractor(_registry.Registry):
    """Extracts features from measure candidates."""

    KINDS = {
        "per-store-feature": "raytune_ms.feature_extractor.per_store_feature:PerStoreFeature",
    }
    KIND_NOUN = "feature extractor"

    def extract_from(self, context, candidates: list) -> list[np.ndarray]:
        """One float32 array [rows, features] per candidate (rows may be 0)."""
        raise NotImplementedError

    @staticmethod
    def create(kind="per-store-feature", *args, **kwargs) -> FeatureExtractor:
        """A feature extractor of a registered kind ("per-store-feature"), or `kind` itself if
        it is one."""
        return FeatureExtractor._create_kind(kind, *args, **kwargs)


class PyFeatureExtractor(FeatureExtractor):
    """The base for user feature extractors (decorate subclasses with `derived_object`):
    override extract_from."""


def create(kind: str = "per-store-feature", *args, **kwargs) -> FeatureExtractor:
    """Same as `FeatureExtractor.create`."""
    return FeatureExtractor.create(kind, *args, **kwargs)
