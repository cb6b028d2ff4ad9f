"""The genre CNN: log-mel patches in, an L2-normalised embedding and genre logits out.

>>> import torch
>>> net = GenreCNN(n_genres=10, embedding_dim=32).eval()
>>> with torch.no_grad():
...     embedding, logits = net(torch.randn(3, 64, 188))
>>> embedding.shape, logits.shape, round(float(embedding[0].norm()), 4)
(torch.Size([3, 32]), torch.Size([3, 10]), 1.0)
"""

from __future__ import annotations

import itertools

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812


def _block(inputs: int, outputs: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(inputs, outputs, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(outputs),
                         nn.ReLU(inplace=True), nn.MaxPool2d(2))


class GenreCNN(nn.Module):
    """Four conv blocks over (mel, time), mean and max pooled over both, then an embedding and a genre head.

    The embedding is what the vector store indexes (unit length, so cosine similarity is a dot product); the genre
    head reads the same features before normalisation, so the embedding is shaped by genre during training.
    """

    def __init__(self, n_genres: int, embedding_dim: int = 128, channels: tuple[int, ...] = (12, 24, 48, 96),
                 dropout: float = 0.3) -> None:
        super().__init__()
        self.n_genres = n_genres
        self.embedding_dim = embedding_dim
        self.channels = channels
        self.input_norm = nn.BatchNorm2d(1)
        widths = (1, *channels)
        self.features = nn.Sequential(*(_block(a, b) for a, b in itertools.pairwise(widths)))
        self.project = nn.Linear(2 * channels[-1], embedding_dim)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(embedding_dim, n_genres)

    def forward(self, mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``mel``: (batch, n_mels, frames) log-mel. Returns (unit embeddings (batch, D), logits (batch, genres))."""
        x = self.features(self.input_norm(mel.unsqueeze(1)))
        x = x.mean(dim=2)  # over mel bands: (batch, channels, time)
        pooled = torch.cat([x.mean(dim=2), x.amax(dim=2)], dim=1)
        hidden = self.project(pooled)
        logits = self.head(self.dropout(F.relu(hidden)))
        return F.normalize(hidden, dim=1), logits
