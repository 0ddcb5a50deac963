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

from .feature_model import FeatureCostModel, resolve_extractor
from .training_data import TrainingData, pack

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
        return dict(self._asdict())


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


class XGBModel(FeatureCostModel):
    """See the module docstring. extractor: a FeatureExtractor or its kind.

    Threads: config.nthread, else num_tuning_cores, else 1 (the reference takes every
    physical core). A tuning run's data (up to some 10^4 rows) trains in well under a second on
    one thread, and more OpenMP threads spin against the builders and the runner measuring on
    the same cores: on a busy 2-core machine two threads trained 30x slower than one."""

    def __init__(self, *, extractor="per-store-feature", config: XGBConfig = XGBConfig(),  # noqa: B008 (frozen)
                 num_warmup_samples: int = 100, early_stopping_rounds: int = 50, verbose_eval: int = 25,
                 average_peak_n: int = 32, adaptive_training: bool = True, num_tuning_cores: int | None = None):
        if not isinstance(config, XGBConfig):
            raise TypeError(f"XGBModel.config must be an XGBConfig, got {type(config).__name__}")
        for name, value, low in (("num_warmup_samples", num_warmup_samples, 0),
                                 ("early_stopping_rounds", early_stopping_rounds, 1),
                                 ("average_peak_n", average_peak_n, 1)):
            if int(value) != value or value < low:
                raise ValueError(f"XGBModel.{name} must be an integer >= {low}, got {value!r}")
        self.extractor = resolve_extractor(extractor, "XGBModel")
        self.config = config
        self.num_warmup_samples = int(num_warmup_samples)
        self.early_stopping_rounds = int(early_stopping_rounds)
        self.verbose_eval = int(verbose_eval)
        self.average_peak_n = int(average_peak_n)
        self.adaptive_training = bool(adaptive_training)
        self.num_tuning_cores = num_tuning_cores
        self._reset_data()
        self.booster = None
        self.rng = np.random.default_rng(config.seed)

    @property
    def trained(self) -> bool:
        return self.booster is not None

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

    def _score_packed(self, rows, segment, num_candidates) -> np.ndarray:
        """Summed row predictions per candidate (label scale: 1.0 is the group's best so far)."""
        preds = self.booster.inplace_predict(rows, predict_type="margin")
        return np.bincount(segment, weights=preds, minlength=num_candidates)

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
