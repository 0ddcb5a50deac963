"""The common part of the learned cost models (XGB, MLP): features from an extractor, the
measured data grouped by workload, random scores during the warm-up, and adaptive retraining
(only when the data grew by 20% since the last training; the first update always trains)."""

from __future__ import annotations

import numpy as np

from ..tir import structural_hash
from .cost_model import CostModel
from .training_data import TrainingData, cost_of, pack


def resolve_extractor(extractor, owner: str):
    """A FeatureExtractor from an instance or a kind name."""
    from ..feature_extractor import FeatureExtractor

    if not isinstance(extractor, (str, FeatureExtractor)):
        raise TypeError(f"{owner}.extractor must be a FeatureExtractor or its kind, got {extractor!r}")
    return FeatureExtractor.create(extractor)


class FeatureCostModel(CostModel):
    """Subclasses set `extractor`, `num_warmup_samples`, `adaptive_training` and `rng` and call
    `_reset_data()`; they provide `trained`, `_train()` (on `self.data`) and
    `_score_packed(rows, segment, num_candidates)`."""

    def _reset_data(self) -> None:
        self.data = TrainingData()
        self.data_size = 0
        self.last_train_size = 0

    @property
    def trained(self) -> bool:
        raise NotImplementedError

    def _train(self) -> None:
        raise NotImplementedError

    def _score_packed(self, rows: np.ndarray, segment: np.ndarray, num_candidates: int) -> np.ndarray:
        raise NotImplementedError

    def update(self, context, candidates, results) -> None:
        """Add the measured candidates (a failed one costs FAILED_COST) and retrain when due."""
        if len(candidates) != len(results):
            raise ValueError(f"{type(self).__name__}.update: {len(candidates)} candidates but {len(results)} results")
        if not candidates:
            return
        if getattr(context, "mod", None) is None:
            raise ValueError(f"{type(self).__name__}.update needs the TuneContext of the candidates' task "
                             f"(its module keys the training data), got {context!r}")
        features = self.extractor.extract_from(context, candidates)
        before = len(self.data)
        self.data.add(structural_hash(context.mod), features, [cost_of(r) for r in results])
        self.data_size += len(self.data) - before
        if (self.adaptive_training and self.trained
                and self.data_size - self.last_train_size < self.last_train_size / 5):
            return
        self.last_train_size = self.data_size
        self._train()

    def predict(self, context, candidates) -> np.ndarray:
        """One score per candidate (higher is faster); uniform random in [0, 1) until the model
        is trained on `num_warmup_samples` candidates."""
        return self.predict_extracted(len(candidates), lambda: self.extractor.extract_from(context, candidates))

    def predict_extracted(self, num: int, features) -> np.ndarray:
        """`predict` for `num` candidates whose feature matrices `features()` gives (rows
        extracted beforehand, e.g. by the search's worker processes); it is called only once
        the model is past its warm-up."""
        if not self.trained or self.data_size < self.num_warmup_samples:
            return self.rng.uniform(0.0, 1.0, size=num)
        return self.predict_features(features())

    def predict_features(self, features: list[np.ndarray]) -> np.ndarray:
        """The trained model's score of each feature matrix (0 for one without rows)."""
        out = np.zeros(len(features))
        keep = [i for i, f in enumerate(features) if f.shape[0] > 0]
        if not keep or not self.trained:
            return out
        rows, segment = pack([features[i] for i in keep])
        out[keep] = self._score_packed(rows, segment, len(keep))
        return out
