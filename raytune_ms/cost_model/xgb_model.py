"""XGBModel: gradient-boosted trees over per-store feature rows, the reference's default model.

A candidate's score is the sum of its rows' predictions ("pack-sum"), trained against the label
group-best cost / cost with a squared error weighted by the label (a failed candidate, label
about 0, weighs nothing). One model serves every task: data is grouped by the structural hash
of the task's module, and each training starts from scratch on all groups. Until
`num_warmup_samples` candidates are measured, predictions are uniform random. With adaptive
training, a retrain happens only when the data grew by at least 20% since the last one.

`save` writes one `.npz` file (numpy's zip of plain arrays, read with allow_pickle=False):
the booster in XGBoost's own UBJSON model format, the training data and a JSON state; loading
it restores identical predictions. Where this differs from the reference: a loaded model keeps
its last training size (no needless retrain), rows start from a base score of 0, and training
uses one thread unless told otherwise.
"""

from __future__ import annotations

import json
import logging
from typing import NamedTuple

import numpy as np
import xgboost as xgb

from ..tir import structural_hash
from .cost_model import CostModel
from .training_data import TrainingData, cost_of, pack

logger = logging.getLogger(__name__)

NUM_BOOST_ROUND = 10000
FORMAT = "raytune_ms.XGBModel/1"


class XGBConfig(NamedTuple):
    """XGBoost parameters (the reference's defaults). nthread None: the model's
    num_tuning_cores, else one thread (see XGBModel)."""

    max_depth: int = 10
    gamma: float = 0.001
    min_child_weight: float = 0
    eta: float = 0.2
    seed: int = 43
    nthread: int | None = None
    tree_method: str = "auto"

    def to_dict(self) -> dict:
        return {"max_depth": self.max_depth, "gamma": self.gamma, "min_child_weight": self.min_child_weight,
                "eta": self.eta, "seed": self.seed, "nthread": self.nthread, "tree_method": self.tree_method}


class _PackSum:
    """The pack-sum objective and metrics for one training set."""

    def __init__(self, segment: np.ndarray, labels: np.ndarray, num_candidates: int, peak_n: int):
        self.segment = segment
        self.row_labels = labels[segment]
        self.labels = labels
        self.n = num_candidates
        self.peak_n = peak_n

    def sums(self, preds: np.ndarray) -> np.ndarray:
        return np.bincount(self.segment, weights=preds, minlength=self.n)

    def objective(self, preds, dtrain):
        s = self.sums(preds)[self.segment]
        y = self.row_labels
        return (s - y) * y, y.copy()

    def metric(self, preds, dtrain):
        s = self.sums(preds)
        p_rmse = float(np.sqrt(np.mean((s[self.segment] - self.row_labels) ** 2)))
        top = np.argsort(-s, kind="stable")[: self.peak_n]
        peak = float(np.mean(np.maximum.accumulate(self.labels[top]) / max(self.labels.max(), 1e-30)))
        return [("p-rmse", p_rmse), (f"a-peak@{self.peak_n}", peak)]


class _LogEvery(xgb.callback.TrainingCallback):
    """Logs the training metrics every `period` rounds (xgboost's own printing goes to stdout)."""

    def __init__(self, period: int):
        super().__init__()
        self.period = period

    def after_iteration(self, model, epoch, evals_log) -> bool:
        if self.period and epoch % self.period == 0:
            last = {f"{d}-{m}": round(v[-1], 6) for d, ms in evals_log.items() for m, v in ms.items()}
            logger.debug("XGB round %d: %s", epoch, last)
        return False


class XGBModel(CostModel):
    """See the module docstring. extractor: a FeatureExtractor or its kind.

    Threads: config.nthread, else num_tuning_cores, else 1 (the reference takes every
    physical core). A tuning run's data (up to some 10^4 rows) trains in well under a second on
    one thread, and more OpenMP threads spin against the builders and the runner measuring on
    the same cores: on a busy 2-core machine two threads trained 30x slower than one."""

    def __init__(self, *, extractor="per-store-feature", config: XGBConfig = XGBConfig(),
                 num_warmup_samples: int = 100, early_stopping_rounds: int = 50, verbose_eval: int = 25,
                 average_peak_n: int = 32, adaptive_training: bool = True, num_tuning_cores: int | None = None):
        from ..feature_extractor import FeatureExtractor

        if isinstance(extractor, str):
            extractor = FeatureExtractor.create(extractor)
        if not isinstance(extractor, FeatureExtractor):
            raise TypeError(f"XGBModel.extractor must be a FeatureExtractor or its kind, got {extractor!r}")
        if not isinstance(config, XGBConfig):
            raise TypeError(f"XGBModel.config must be an XGBConfig, got {type(config).__name__}")
        for name, value, low in (("num_warmup_samples", num_warmup_samples, 0),
                                 ("early_stopping_rounds", early_stopping_rounds, 1),
                                 ("average_peak_n", average_peak_n, 1)):
            if int(value) != value or value < low:
                raise ValueError(f"XGBModel.{name} must be an integer >= {low}, got {value!r}")
        self.extractor = extractor
        self.config = config
        self.num_warmup_samples = int(num_warmup_samples)
        self.early_stopping_rounds = int(early_stopping_rounds)
        self.verbose_eval = int(verbose_eval)
        self.average_peak_n = int(average_peak_n)
        self.adaptive_training = bool(adaptive_training)
        self.num_tuning_cores = num_tuning_cores
        self.data = TrainingData()
        self.data_size = 0
        self.last_train_size = 0
        self.booster = None
        self.rng = np.random.default_rng(config.seed)

    # ------------------------------------------------------------------------------ learning
    def update(self, context, candidates, results) -> None:
        if len(candidates) != len(results):
            raise ValueError(f"XGBModel.update: {len(candidates)} candidates but {len(results)} results")
        if not candidates:
            return
        features = self.extractor.extract_from(context, candidates)
        costs = [cost_of(r) for r in results]
        before = len(self.data)
        self.data.add(structural_hash(context.mod), features, costs)
        self.data_size += len(self.data) - before
        if (self.adaptive_training and self.booster is not None
                and self.data_size - self.last_train_size < self.last_train_size / 5):
            return
        self.last_train_size = self.data_size
        self._train()

    def _params(self) -> dict:
        from ..tune_context import resolve_num_threads

        cfg = self.config
        nthread = cfg.nthread or resolve_num_threads(self.num_tuning_cores or 1)
        return {"max_depth": cfg.max_depth, "gamma": cfg.gamma, "min_child_weight": cfg.min_child_weight,
                "eta": cfg.eta, "seed": cfg.seed, "nthread": nthread, "tree_method": cfg.tree_method,
                "base_score": 0.0, "disable_default_eval_metric": 1, "verbosity": 0}

    def _train(self) -> None:
        feats, labels, _ = self.data.all()
        if not feats:
            return
        rows, segment = pack(feats)
        packsum = _PackSum(segment, labels, len(feats), self.average_peak_n)
        dtrain = xgb.DMatrix(rows, label=labels[segment], weight=labels[segment], nthread=1)
        stop = xgb.callback.EarlyStopping(rounds=self.early_stopping_rounds, metric_name="p-rmse",
                                          data_name="tr", maximize=False)
        self.booster = xgb.train(self._params(), dtrain, num_boost_round=NUM_BOOST_ROUND, obj=packsum.objective,
                                 custom_metric=packsum.metric, evals=[(dtrain, "tr")], verbose_eval=False,
                                 callbacks=[stop, _LogEvery(self.verbose_eval)])
        logger.debug("XGB trained on %d candidates (%d rows), %d rounds", len(feats), rows.shape[0],
                     self.booster.num_boosted_rounds())

    # ------------------------------------------------------------------------------ scoring
    def predict(self, context, candidates) -> np.ndarray:
        """Predicted label per candidate (1.0 is the group's best so far); uniform random
        in [0, 1) before the warm-up."""
        n = len(candidates)
        if self.booster is None or self.data_size < self.num_warmup_samples:
            return self.rng.uniform(0.0, 1.0, size=n)
        return self.predict_features(self.extractor.extract_from(context, candidates))

    def predict_features(self, features: list[np.ndarray]) -> np.ndarray:
        """Summed row predictions of each candidate's feature matrix (the trained booster)."""
        out = np.zeros(len(features))
        keep = [i for i, f in enumerate(features) if f.shape[0] > 0]
        if not keep or self.booster is None:
            return out
        rows, segment = pack([features[i] for i in keep])
        preds = self.booster.inplace_predict(rows, predict_type="margin")
        out[keep] = np.bincount(segment, weights=preds, minlength=len(keep))
        return out

    # ------------------------------------------------------------------------------ files
    def _state(self) -> dict:
        return {"format": FORMAT, "config": self.config.to_dict(), "num_warmup_samples": self.num_warmup_samples,
                "early_stopping_rounds": self.early_stopping_rounds, "verbose_eval": self.verbose_eval,
                "average_peak_n": self.average_peak_n, "adaptive_training": self.adaptive_training,
                "num_tuning_cores": self.num_tuning_cores, "data_size": self.data_size,
                "last_train_size": self.last_train_size, "rng": self.rng.bit_generator.state}

    def save(self, path: str) -> None:
        """Write the model to `path` (a .npz file: the booster as UBJSON bytes, the training
        data as arrays, the state as JSON)."""
        arrays = self.data.to_arrays()
        arrays["state.json"] = np.array(json.dumps(self._state()))
        if self.booster is not None:
            arrays["booster.ubj"] = np.frombuffer(bytes(self.booster.save_raw("ubj")), dtype=np.uint8)
        with open(path, "wb") as f:
            np.savez(f, **arrays)

    def load(self, path: str) -> None:
        """Restore a model written by `save` (no code is unpickled)."""
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        if "state.json" not in arrays:
            raise ValueError(f"{path}: not an XGBModel file (no state.json entry)")
        state = json.loads(str(arrays["state.json"]))
        if state.get("format") != FORMAT:
            raise ValueError(f"{path}: not an XGBModel file (format {state.get('format')!r}, want {FORMAT!r})")
        self.config = XGBConfig(**state["config"])
        for key in ("num_warmup_samples", "early_stopping_rounds", "verbose_eval", "average_peak_n",
                    "adaptive_training", "num_tuning_cores", "data_size", "last_train_size"):
            setattr(self, key, state[key])
        self.rng = np.random.default_rng()
        self.rng.bit_generator.state = state["rng"]
        self.data = TrainingData.from_arrays(arrays)
        self.booster = None
        if "booster.ubj" in arrays:
            self.booster = xgb.Booster()
            self.booster.load_model(bytearray(arrays["booster.ubj"].tobytes()))
