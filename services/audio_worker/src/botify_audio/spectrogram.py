"""Log-mel spectrograms in torch, for a whole batch of waves at once.

One STFT and one matrix product per batch: several times cheaper than librosa's per-clip front end, and it runs
where the CNN runs.

>>> import torch
>>> log_mel(torch.zeros(2, 16000)).shape
torch.Size([2, 64, 32])
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

#: the floor under mel power before the log: quieter than any recording, so silence stays finite
_FLOOR = 1e-6


@dataclass(frozen=True)
class MelConfig:
    sample_rate: int = 16_000
    n_fft: int = 1024
    hop_length: int = 512   # 31 frames a second at 16 kHz: half the CNN's cost of a 256 hop, same accuracy here
    n_mels: int = 64
    fmin: float = 30.0
    fmax: float | None = None  # None: half the sample rate

    def frames(self, samples: int) -> int:
        """How many spectrogram frames a wave of ``samples`` gives (centred STFT)."""
        return 1 + samples // self.hop_length


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz (3 mels per 200 Hz), logarithmic above."""
    linear = hz / (200.0 / 3)
    return np.where(hz < 1000.0, linear, 15.0 + np.log(np.maximum(hz, 1e-9) / 1000.0) / (np.log(6.4) / 27.0))


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    return np.where(mel < 15.0, mel * (200.0 / 3), 1000.0 * np.exp((mel - 15.0) * (np.log(6.4) / 27.0)))


def mel_filter_bank(config: MelConfig) -> np.ndarray:
    """Triangular filters evenly spaced on Slaney's mel scale, each normalised to unit area (``(n_mels, bins)``).

    The same filters as ``librosa.filters.mel`` with its defaults (a test holds them together), without importing
    librosa, which costs the worker and training seconds at start-up.
    """
    top = config.fmax if config.fmax is not None else config.sample_rate / 2
    bins = np.linspace(0.0, config.sample_rate / 2, 1 + config.n_fft // 2)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(np.array(config.fmin)), _hz_to_mel(np.array(top)), config.n_mels + 2))
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins[None, :] - lower) / (centre - lower)
    falling = (upper - bins[None, :]) / (upper - centre)
    triangles = np.maximum(0.0, np.minimum(rising, falling))
    bank: np.ndarray = (triangles * (2.0 / (upper - lower))).astype(np.float32)
    return bank


class LogMel(torch.nn.Module):
    """``(batch, samples)`` waves to ``(batch, n_mels, frames)`` natural-log mel power."""

    def __init__(self, config: MelConfig = MelConfig()) -> None:
        super().__init__()
        self.config = config
        basis = mel_filter_bank(config)
        self.register_buffer("window", torch.hann_window(config.n_fft), persistent=False)
        self.register_buffer("basis", torch.from_numpy(basis).float(), persistent=False)

    def forward(self, batch: torch.Tensor) -> torch.Tensor:
        if batch.ndim != 2:
            raise ValueError(f"expected waves of shape (batch, samples), got {tuple(batch.shape)}")
        window, basis = self.get_buffer("window"), self.get_buffer("basis")
        spectrum = torch.stft(batch, n_fft=self.config.n_fft, hop_length=self.config.hop_length, window=window,
                              center=True, pad_mode="constant", return_complex=True)
        power = spectrum.real.square() + spectrum.imag.square()
        return torch.log(torch.matmul(basis, power) + _FLOOR)


@lru_cache(maxsize=8)
def _front_end(config: MelConfig) -> LogMel:
    return LogMel(config)


def log_mel(batch: torch.Tensor, config: MelConfig = MelConfig()) -> torch.Tensor:
    """Log-mel spectrograms of a batch of waves, shape ``(batch, n_mels, frames)``."""
    with torch.no_grad():
        result: torch.Tensor = _front_end(config)(batch)
    return result
