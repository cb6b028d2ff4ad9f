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


class LogMel(torch.nn.Module):
    """``(batch, samples)`` waves to ``(batch, n_mels, frames)`` natural-log mel power."""

    def __init__(self, config: MelConfig = MelConfig()) -> None:
        super().__init__()
        import librosa  # the filter bank only; imported here to keep `import botify_audio.spectrogram` light

        self.config = config
        basis = librosa.filters.mel(sr=config.sample_rate, n_fft=config.n_fft, n_mels=config.n_mels,
                                    fmin=config.fmin, fmax=config.fmax)
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
