"""A two-tower model: a user tower encodes the user's listened artists, an item tower encodes each artist's id and
genre; the score is their dot product plus an item bias.

Training is denoising: each step hides a random ``holdout`` share of every user's artists from the user tower and
asks it to rank the hidden ones first among all artists (softmax over the full catalog, which is small enough).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn
from tqdm import tqdm

from botify_lab.recsys.models.base import FloatArray, IntArray, Recommender
from botify_lab.recsys.models.torch_training import dense_rows, seeded, user_batches


class _Towers(nn.Module):
    def __init__(self, n_items: int, genres: torch.Tensor, dim: int) -> None:
        super().__init__()
        self.genres = genres
        self.user = nn.Sequential(nn.Linear(n_items, dim), nn.ReLU(), nn.Linear(dim, dim))
        self.item_id = nn.Embedding(n_items, dim)
        self.item_genre = nn.Embedding(int(genres.max()) + 1, dim)
        self.item = nn.Sequential(nn.ReLU(), nn.Linear(dim, dim))
        self.bias = nn.Parameter(torch.zeros(n_items))
        nn.init.normal_(self.item_id.weight, std=0.05)

    def items(self) -> torch.Tensor:
        vectors: torch.Tensor = self.item(self.item_id.weight + self.item_genre(self.genres))
        return vectors

    def forward(self, history: torch.Tensor) -> torch.Tensor:
        users: torch.Tensor = self.user(history)
        return users @ self.items().T + self.bias


class TwoTower(Recommender):
    def __init__(self, item_genres: IntArray, dim: int = 128, holdout: float = 0.3, epochs: int = 60,
                 learning_rate: float = 1e-3, l2: float = 1e-5, batch: int = 128, seed: int = 0) -> None:
        self.genres = torch.from_numpy(np.asarray(item_genres, dtype=np.int64))
        self.dim, self.holdout, self.epochs, self.learning_rate = dim, holdout, epochs, learning_rate
        self.l2, self.batch, self.seed = l2, batch, seed

    def _history(self, confidence: torch.Tensor) -> torch.Tensor:
        return nn.functional.normalize(confidence, dim=1)

    def fit(self, train: sp.csr_matrix) -> None:
        generator = seeded(self.seed)
        self._x = dense_rows(train)
        self._net = _Towers(train.shape[1], self.genres, self.dim)
        optimiser = torch.optim.AdamW(self._net.parameters(), lr=self.learning_rate, weight_decay=self.l2)
        self._net.train()
        for _ in tqdm(range(self.epochs), desc="two-tower epochs", leave=False):
            for users in user_batches(train.shape[0], self.batch, generator):
                x = self._x[users]
                hidden = (torch.rand(x.shape, generator=generator) < self.holdout) & (x > 0)
                logits = self._net(self._history(x * ~hidden))
                targets = hidden.float()
                # multinomial log-likelihood of the hidden artists; rows that hid nothing add nothing
                loss = -(torch.log_softmax(logits, dim=1) * targets).sum() / targets.sum().clamp(min=1.0)
                optimiser.zero_grad()
                loss.backward()  # type: ignore[no-untyped-call]
                optimiser.step()
        self._net.eval()
        with torch.no_grad():
            self._items = self._net.items()

    def scores(self, users: IntArray) -> FloatArray:
        with torch.no_grad():
            user = self._net.user(self._history(self._x[torch.from_numpy(np.asarray(users))]))
            scores: FloatArray = (user @ self._items.T + self._net.bias).numpy()
        return scores
