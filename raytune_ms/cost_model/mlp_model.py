"""MLPModel: a neural cost model over per-store feature rows (the `torch` extra).

Each row goes through an MLP (encoder to `hidden` units, residual layers); a candidate's score
is the sum over its rows (segment sum), so it learns from programs with any number of stores.
It is trained to rank: a LambdaRank loss over the candidates of one workload in each batch
(pairs weighted by how much swapping them changes the NDCG of the labels group-best cost /
cost). Training is seeded and retrains from scratch on all data when it grew by 20% (as the
XGB model), for `num_epochs` epochs in batches of `batch_size` candidates with AdamW.

`save` writes one file with `torch.save`: the state_dict of the network, the training data as
tensors and the configuration as a JSON string; `load` reads it with `weights_only=True`, so no
code is unpickled.
"""

from __future__ import annotations

import contextlib
import json

import numpy as np

from .feature_model import FeatureCostModel, resolve_extractor
from .training_data import TrainingData

try:
    import torch
    from torch import nn
except ImportError as err:  # the model is optional; its kind names the extra that provides it
    raise ImportError("MLPModel needs PyTorch: install the torch extra (pip install 'raytune-ms[torch]')") from err

FORMAT = "raytune_ms.MLPModel/1"


class SegmentSumMLP(nn.Module):
    """Row MLP (encoder, residual layers, one output) whose outputs are summed per candidate."""

    def __init__(self, num_features: int, hidden: int = 256, num_residual: int = 2):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(num_features, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.norm = nn.LayerNorm(hidden)
        self.residual = nn.ModuleList(
            nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU()) for _ in range(num_residual))
        self.head = nn.Linear(hidden, 1)

    def forward(self, rows, segment, num_candidates: int):
        h = self.norm(self.encoder(rows))
        for layer in self.residual:
            h = h + layer(h)
        per_row = self.head(h).squeeze(-1)
        return torch.zeros(num_candidates, dtype=per_row.dtype).index_add_(0, segment, per_row)


def lambda_rank_loss(scores, labels):
    """LambdaRank over one list: pairwise logistic loss on every (better, worse) pair, weighted
    by |delta NDCG| of swapping the two in the order of the current scores."""
    n = scores.shape[0]
    if n < 2:
        return scores.sum() * 0.0
    gains = 2.0 ** labels - 1.0
    rank = torch.empty(n, dtype=torch.long)
    rank[torch.argsort(scores.detach(), descending=True)] = torch.arange(n)
    discount = 1.0 / torch.log2(rank.to(scores.dtype) + 2.0)
    ideal = (torch.sort(gains, descending=True).values / torch.log2(torch.arange(n, dtype=scores.dtype) + 2.0)).sum()
    delta = (gains[:, None] - gains[None, :]).abs() * (discount[:, None] - discount[None, :]).abs()
    delta = delta / ideal.clamp_min(1e-12)
    better = labels[:, None] > labels[None, :]
    diff = scores[:, None] - scores[None, :]
    pair_loss = nn.functional.softplus(-diff) * delta
    return pair_loss[better].sum() / better.sum().clamp_min(1)


@contextlib.contextmanager
def _threads(n: int):
    """torch's intra-op threads set to `n` meanwhile: a network this small trains fastest on
    one thread, and more spin against the builders and runners on a busy machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class MLPModel(FeatureCostModel):
    """See the module docstring. extractor: a FeatureExtractor or its kind; num_threads:
    torch threads while training and predicting."""

    def __init__(self, *, extractor="per-store-feature", hidden: int = 256, num_residual: int = 2,
                 batch_size: int = 128, learning_rate: float = 7e-4, weight_decay: float = 1e-6,
                 num_epochs: int = 50, num_warmup_samples: int = 100, adaptive_training: bool = True,
                 seed: int = 43, num_threads: int = 1):
        for name, value in (("hidden", hidden), ("batch_size", batch_size), ("num_epochs", num_epochs)):
            if int(value) != value or value < 1:
                raise ValueError(f"MLPModel.{name} must be a positive integer, got {value!r}")
        self.extractor = resolve_extractor(extractor, "MLPModel")
        self.hidden = int(hidden)
        self.num_residual = int(num_residual)
        self.batch_size = int(batch_size)
        self.learning_rate = float(learning_rate)
        self.weight_decay = float(weight_decay)
        self.num_epochs = int(num_epochs)
        self.num_warmup_samples = int(num_warmup_samples)
        self.adaptive_training = bool(adaptive_training)
        self.seed = int(seed)
        self.num_threads = int(num_threads)
        self._reset_data()
        self.network: SegmentSumMLP | None = None
        self.num_features = None
        self.rng = np.random.default_rng(seed)

    def _config(self) -> dict:
        return {"format": FORMAT, "hidden": self.hidden, "num_residual": self.num_residual,
                "batch_size": self.batch_size, "learning_rate": self.learning_rate,
                "weight_decay": self.weight_decay, "num_epochs": self.num_epochs,
                "num_warmup_samples": self.num_warmup_samples, "adaptive_training": self.adaptive_training,
                "seed": self.seed, "num_threads": self.num_threads, "num_features": self.num_features,
                "data_size": self.data_size, "last_train_size": self.last_train_size,
                "rng": self.rng.bit_generator.state}

    @property
    def trained(self) -> bool:
        return self.network is not None

    def _train(self) -> None:
        with _threads(self.num_threads):
            self._fit()

    def _fit(self) -> None:
        feats, labels, gids = self.data.all()
        if not feats:
            return
        self.num_features = int(feats[0].shape[1])
        gen = torch.Generator().manual_seed(self.seed)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            net = SegmentSumMLP(self.num_features, self.hidden, self.num_residual)
        opt = torch.optim.AdamW(net.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay)
        tensors = [torch.tensor(f) for f in feats]
        labels_t = torch.from_numpy(labels.astype(np.float32))
        gids_t = torch.from_numpy(gids)
        net.train()
        for _ in range(self.num_epochs):
            order = torch.randperm(len(tensors), generator=gen)
            for start in range(0, len(order), self.batch_size):
                idx = order[start:start + self.batch_size]
                rows = torch.cat([tensors[i] for i in idx.tolist()])
                segment = torch.repeat_interleave(torch.arange(len(idx)),
                                                  torch.tensor([tensors[i].shape[0] for i in idx.tolist()]))
                scores = net(rows, segment, len(idx))
                loss = sum(lambda_rank_loss(scores[gids_t[idx] == g], labels_t[idx][gids_t[idx] == g])
                           for g in torch.unique(gids_t[idx]).tolist())
                opt.zero_grad()
                loss.backward()
                opt.step()
        net.eval()
        self.network = net

    def _score_packed(self, rows, segment, num_candidates) -> np.ndarray:
        """Ranking scores (higher is faster), not on the label's scale."""
        with torch.no_grad(), _threads(self.num_threads):
            scores = self.network(torch.from_numpy(np.ascontiguousarray(rows)), torch.from_numpy(segment),
                                  num_candidates)
        return scores.double().numpy()

    # ------------------------------------------------------------------------------ files
    def save(self, path: str) -> None:
        data = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in self.data.to_arrays().items()
                if k != "data.keys"}
        torch.save({"config": json.dumps(self._config()), "keys": list(self.data.groups),
                    "state_dict": None if self.network is None else self.network.state_dict(), "data": data}, path)

    def load(self, path: str) -> None:
        blob = torch.load(path, weights_only=True)
        config = json.loads(blob["config"])
        if config.get("format") != FORMAT:
            raise ValueError(f"{path}: not an MLPModel file (format {config.get('format')!r}, want {FORMAT!r})")
        for key in ("hidden", "num_residual", "batch_size", "learning_rate", "weight_decay", "num_epochs",
                    "num_warmup_samples", "adaptive_training", "seed", "num_threads", "num_features", "data_size",
                    "last_train_size"):
            setattr(self, key, config[key])
        self.rng = np.random.default_rng()
        self.rng.bit_generator.state = config["rng"]
        arrays = {k: v.numpy() for k, v in blob["data"].items()}
        arrays["data.keys"] = np.array(blob["keys"], dtype=np.str_)
        self.data = TrainingData.from_arrays(arrays)
        self.network = None
        if blob["state_dict"] is not None:
            self.network = SegmentSumMLP(self.num_features, self.hidden, self.num_residual)
            self.network.load_state_dict(blob["state_dict"])
            self.network.eval()

