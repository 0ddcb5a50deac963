"""Feature extractors for cost models: "per-store-feature"."""

from .feature_extractor import FeatureExtractor, PyFeatureExtractor, create
from .per_store_feature import PerStoreFeature

__all__ = ["FeatureExtractor", "PerStoreFeature", "PyFeatureExtractor", "create"]
