"""SASRec (Kang & McAuley, 2018): a causal self-attention encoder over the last ``max_len`` plays predicts the
next track at every position (full softmax over the catalog, which is small here)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from botify_lab.recsys.models.base import FloatArray, IntArray, SequenceRecommender
from botify_lab.recsys.models.torch_training import seeded, user_batches


class _Encoder(nn.Module):
    def __init__(self, n_items: int, dim: int, layers: int, heads: int, dropout: float, max_len: int) -> None:
        super().__init__()
        self.items = nn.Embedding(n_items + 1, dim, padding_idx=0)  # id 0 pads; track i is i + 1
        self.positions = nn.Embedding(max_len, dim)
        block = nn.TransformerEncoderLayer(dim, heads, 2 * dim, dropout, batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(block, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Logits over the catalog at every position: batch x length x n_items."""
        length = tokens.shape[1]
        x = self.drop(self.items(tokens) + self.positions(torch.arange(length)))
        causal = nn.Transformer.generate_square_subsequent_mask(length)
        # no key-padding mask: a left-padded window would leave padding rows nothing to attend to (NaN)
        hidden = self.norm(self.blocks(x, mask=causal, is_causal=True))
        logits: torch.Tensor = hidden @ self.items.weight[1:].T
        return logits


class SASRec(SequenceRecommender):
    def __init__(self, dim: int = 64, layers: int = 2, heads: int = 2, dropout: float = 0.2, max_len: int = 50,
                 stride: int = 5, epochs: int = 100, learning_rate: float = 1e-3, batch: int = 64,
                 seed: int = 0) -> None:
        self.dim, self.layers, self.heads, self.dropout, self.max_len = dim, layers, heads, dropout, max_len
        self.stride, self.epochs, self.learning_rate, self.batch, self.seed = stride, epochs, learning_rate, batch, seed

    def _windows(self, sequences: list[IntArray]) -> torch.Tensor:
        """Windows of max_len + 1 plays, one every ``stride`` plays, left-padded, as ids shifted by one (one
        listener's few thousand plays make few windows: a small stride multiplies the training examples)."""
        rows = []
        for sequence in sequences:
            shifted = np.asarray(sequence) + 1
            for end in range(len(shifted), 1, -self.stride):
                window = shifted[max(0, end - self.max_len - 1):end]
                rows.append(np.pad(window, (self.max_len + 1 - len(window), 0)))
        return torch.from_numpy(np.array(rows, dtype=np.int64))

    def fit(self, sequences: list[IntArray], n_items: int) -> None:
        generator = seeded(self.seed)
        windows = self._windows(sequences)
        self._net = _Encoder(n_items, self.dim, self.layers, self.heads, self.dropout, self.max_len)
        optimiser = torch.optim.Adam(self._net.parameters(), lr=self.learning_rate)
        self._net.train()
        for _ in tqdm(range(self.epochs), desc="SASRec epochs", leave=False):
            for rows in user_batches(len(windows), self.batch, generator):
                inputs, targets = windows[rows, :-1], windows[rows, 1:]
                logits = self._net(inputs)
                # positions whose input is padding predict nothing; targets are shifted back to track ids
                keep = inputs != 0
                loss = nn.functional.cross_entropy(logits[keep], targets[keep] - 1)
                optimiser.zero_grad()
                loss.backward()  # type: ignore[no-untyped-call]
                optimiser.step()
        self._net.eval()
        self._n_items = n_items

    def scores(self, histories: list[IntArray]) -> FloatArray:
        tokens = np.zeros((len(histories), self.max_len), dtype=np.int64)
        for row, history in enumerate(histories):
            recent = np.asarray(history[-self.max_len:]) + 1
            if len(recent):
                tokens[row, -len(recent):] = recent
        with torch.no_grad():
            logits = self._net(torch.from_numpy(tokens))[:, -1]
        out: FloatArray = logits.numpy().astype(np.float64)
        empty = np.array([len(h) == 0 for h in histories])
        out[empty] = 0.0  # nothing to attend to: no preference
        return out
