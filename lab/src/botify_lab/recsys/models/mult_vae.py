"""Mult-VAE (Liang et al., 2018): a variational autoencoder over each user's listened artists with a
multinomial likelihood, KL weight annealed from 0 to ``beta``; ranks by the decoder's logits at the mean code."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn
from tqdm import tqdm

from botify_lab.recsys.models.base import FloatArray, IntArray, Recommender, binarised
from botify_lab.recsys.models.torch_training import dense_rows, seeded, user_batches


class _VAE(nn.Module):
    def __init__(self, n_items: int, hidden: int, latent: int, dropout: float) -> None:
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Sequential(nn.Linear(n_items, hidden), nn.Tanh(), nn.Linear(hidden, 2 * latent))
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.Tanh(), nn.Linear(hidden, n_items))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h = self.encoder(self.drop(nn.functional.normalize(x, dim=1)))
        mu, logvar = h.chunk(2, dim=1)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if self.training else mu
        return self.decoder(z), mu, logvar


class MultVAE(Recommender):
    def __init__(self, hidden: int = 600, latent: int = 200, dropout: float = 0.5, beta: float = 0.2,
                 epochs: int = 100, learning_rate: float = 1e-3, batch: int = 256, binary: bool = True,
                 seed: int = 0) -> None:
        self.hidden, self.latent, self.dropout, self.beta, self.binary = hidden, latent, dropout, beta, binary
        self.epochs, self.learning_rate, self.batch, self.seed = epochs, learning_rate, batch, seed

    def fit(self, train: sp.csr_matrix) -> None:
        generator = seeded(self.seed)
        self._x = dense_rows(binarised(train) if self.binary else train)
        self._net = _VAE(train.shape[1], self.hidden, self.latent, self.dropout)
        optimiser = torch.optim.Adam(self._net.parameters(), lr=self.learning_rate)
        steps = self.epochs * -(-train.shape[0] // self.batch)
        step = 0
        self._net.train()
        for _ in tqdm(range(self.epochs), desc="Mult-VAE epochs", leave=False):
            for users in user_batches(train.shape[0], self.batch, generator):
                x = self._x[users]
                logits, mu, logvar = self._net(x)
                # the multinomial log-likelihood of the user's artists (weighted by confidence unless binary)
                likelihood = (torch.log_softmax(logits, dim=1) * x).sum(dim=1).mean()
                kl = (0.5 * (torch.exp(logvar) + mu**2 - 1 - logvar)).sum(dim=1).mean()
                # the KL weight grows linearly to beta over the first 80% of training
                loss = -likelihood + self.beta * min(1.0, step / (0.8 * steps)) * kl
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                step += 1
        self._net.eval()

    def scores(self, users: IntArray) -> FloatArray:
        with torch.no_grad():
            logits, _, _ = self._net(self._x[torch.from_numpy(np.asarray(users))])
        scores: FloatArray = logits.numpy()
        return scores
