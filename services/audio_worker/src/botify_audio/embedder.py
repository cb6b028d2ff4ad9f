"""What turns decoded audio into an embedding and genre probabilities: the :class:`Embedder` seam.

The worker decodes each track into a stack of segments ``(k, segment_samples)`` at the embedder's
``sample_rate`` and hands a batch of such stacks to ``embed_batch``. Two embedders live here:

- :class:`CnnEmbedder`: a trained :class:`~botify_audio.training.TrainedModel` (version ``cnn-...``).
- :class:`LogMelStatsEmbedder`: the fallback when no checkpoint exists: per-band mean and spread of the log-mel
  spectrogram, projected by a seeded random matrix. It is not trained, knows no genres (empty probabilities) and
  says so in its version, ``logmel-stats-v1-untrained``.

>>> import numpy as np
>>> fallback = LogMelStatsEmbedder(embedding_dim=16)
>>> vectors, probabilities = fallback.embed_batch([np.zeros((2, fallback.segment_samples), np.float32)])
>>> vectors.shape, probabilities.shape, fallback.genres
((1, 16), (1, 0), ())
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import torch

from botify_audio.settings import DEFAULT_SAMPLE_RATE
from botify_audio.spectrogram import MelConfig, log_mel
from botify_audio.training import TrainedModel

log = logging.getLogger(__name__)


@runtime_checkable
class Embedder(Protocol):
    """Segments of tracks in, (unit embeddings (n, D), genre probabilities (n, len(genres))) out."""

    @property
    def version(self) -> str: ...

    @property
    def genres(self) -> tuple[str, ...]: ...

    @property
    def sample_rate(self) -> int: ...

    @property
    def segment_seconds(self) -> float: ...

    def embed_batch(self, tracks: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]: ...


class CnnEmbedder:
    """A trained genre CNN behind the :class:`Embedder` seam."""

    def __init__(self, model: TrainedModel) -> None:
        self.model = model

    @property
    def version(self) -> str:
        return self.model.version

    @property
    def genres(self) -> tuple[str, ...]:
        return self.model.genres

    @property
    def sample_rate(self) -> int:
        return self.model.config.sample_rate

    @property
    def segment_seconds(self) -> float:
        return self.model.config.segment_seconds

    def embed_batch(self, tracks: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        return self.model.embed_segments(tracks)


class LogMelStatsEmbedder:
    """Untrained fallback: mean and standard deviation of each log-mel band, randomly projected and normalised."""

    version = "logmel-stats-v1-untrained"
    genres: tuple[str, ...] = ()

    def __init__(self, embedding_dim: int = 128, sample_rate: int = DEFAULT_SAMPLE_RATE,
                 segment_seconds: float = 3.0, seed: int = 0) -> None:
        self.sample_rate = sample_rate
        self.segment_seconds = segment_seconds
        self.mel = MelConfig(sample_rate=sample_rate)
        generator = torch.Generator().manual_seed(seed)
        self.projection = torch.randn(2 * self.mel.n_mels, embedding_dim, generator=generator)

    @property
    def segment_samples(self) -> int:
        return round(self.segment_seconds * self.sample_rate)

    def embed_batch(self, tracks: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        rows = []
        for segments in tracks:
            mel = log_mel(torch.from_numpy(np.asarray(segments, np.float32)), self.mel)  # (k, mels, frames)
            frames = mel.permute(1, 0, 2).reshape(self.mel.n_mels, -1)
            stats = torch.cat([frames.mean(dim=1), frames.std(dim=1)])
            rows.append(stats - stats.mean())  # loudness shifts every band alike: drop it
        vectors = torch.nn.functional.normalize(torch.stack(rows) @ self.projection, dim=1)
        return vectors.numpy(), np.zeros((len(tracks), 0), np.float32)


def load_embedder(models_dir: Path, version: str, embedding_dim: int, data_dir: Path | None = None) -> Embedder:
    """The CNN saved as ``models_dir/<version>`` (``latest``: the newest); with no checkpoint at all, the
    handcrafted-feature embedder trained on GTZAN's feature table when ``data_dir`` has it, else the untrained
    log-mel statistics. Which one, and why, is logged."""
    try:
        model = TrainedModel.load(models_dir, version)
    except FileNotFoundError as exc:
        if version != "latest":
            raise
        fallback = handcrafted_embedder(data_dir, embedding_dim) if data_dir is not None else None
        if fallback is None:
            fallback = LogMelStatsEmbedder(embedding_dim)
        log.warning("%s; embedding with the fallback %s until a CNN is trained", exc, fallback.version)
        return fallback
    log.info("embedding with CNN %s (%d genres, %d dims)", model.version, len(model.genres), model.embedding_dim)
    return CnnEmbedder(model)


def handcrafted_embedder(data_dir: Path, embedding_dim: int) -> Embedder | None:
    """The classical classifier trained on ``gtzan-features`` (without the slow HPSS columns) as an embedder, or None
    when the table is not there."""
    from botify_audio.classical import HandcraftedEmbedder, train_on_gtzan_csv
    from botify_datasets.errors import DatasetError
    from botify_datasets.gtzan import load_gtzan_features

    try:
        table = load_gtzan_features(data_dir)
    except (DatasetError, OSError) as exc:
        log.info("no GTZAN feature table for the handcrafted fallback: %s", exc)
        return None
    return HandcraftedEmbedder(train_on_gtzan_csv(table, hpss=False), embedding_dim)
