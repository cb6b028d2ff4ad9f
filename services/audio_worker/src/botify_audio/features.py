"""Handcrafted audio features: frame-level librosa descriptors summarised by their mean and variance over a clip.

The names follow the columns of GTZAN's ``features_30_sec.csv`` (``../shared/data/gtzan-features``) wherever we
measure the same thing, so a classifier trained on that table can read our features, and a test can check that we
agree with it (``tests/unit/test_audio_features.py``). Spectral contrast is ours only (the table has none).

Every frame feature uses librosa's defaults, as the table did: a 2,048-sample FFT, a hop of 512, at 22,050 Hz.
Audio at another rate is resampled first, because centroids, roll-offs and MFCCs are measured in Hz.

>>> import numpy as np
>>> t = np.arange(FEATURE_SAMPLE_RATE * 3) / FEATURE_SAMPLE_RATE
>>> features = extract_features(0.5 * np.sin(2 * np.pi * 440.0 * t), FEATURE_SAMPLE_RATE, hpss=False)
>>> round(features["spectral_centroid_mean"] / 440.0, 1), "harmony_mean" in features
(1.0, False)
>>> len(feature_names(hpss=True)) == len(CSV_FEATURES) + 2 * N_CONTRAST_BANDS
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import librosa
import numpy as np

FEATURE_SAMPLE_RATE = 22_050
N_FFT = 2_048
HOP = 512
N_MFCC = 20
N_CONTRAST_BANDS = 7  # librosa's default: 6 bands and the residual

_FRAME_FEATURES = ("chroma_stft", "rms", "spectral_centroid", "spectral_bandwidth", "rolloff", "zero_crossing_rate")
_HPSS_FEATURES = ("harmony", "perceptr")  # the table's names for the harmonic and percussive parts


def _stats(name: str) -> tuple[str, str]:
    return f"{name}_mean", f"{name}_var"


def csv_feature_names() -> tuple[str, ...]:
    """The 57 feature columns of ``features_30_sec.csv``, in its order."""
    names = [n for f in _FRAME_FEATURES + _HPSS_FEATURES for n in _stats(f)]
    names.append("tempo")
    names += [n for i in range(1, N_MFCC + 1) for n in _stats(f"mfcc{i}")]
    return tuple(names)


CSV_FEATURES = csv_feature_names()
HPSS_COLUMNS = frozenset(n for f in _HPSS_FEATURES for n in _stats(f))


def feature_names(*, hpss: bool = True, contrast: bool = True) -> tuple[str, ...]:
    """The names ``extract_features`` returns, in a fixed order: the CSV's first, then spectral contrast.

    HPSS (harmony/perceptr) costs about 1.2 s per 30-s clip, five times everything else together; leave it out
    where speed matters (the worker's fallback embedder).
    """
    names = [n for n in CSV_FEATURES if hpss or n not in HPSS_COLUMNS]
    if contrast:
        names += [n for band in range(1, N_CONTRAST_BANDS + 1) for n in _stats(f"spectral_contrast{band}")]
    return tuple(names)


def _summarise(out: dict[str, float], name: str, frames: np.ndarray) -> None:
    """Mean and (population) variance over all values: frames, and for chroma also the 12 pitch classes."""
    out[f"{name}_mean"] = float(np.mean(frames))
    out[f"{name}_var"] = float(np.var(frames))


def extract_features(y: np.ndarray, sr: int, *, hpss: bool = True, contrast: bool = True) -> dict[str, float]:
    """Features of one mono clip, keyed by ``feature_names(hpss=..., contrast=...)`` in that order.

    Raises ``ValueError`` for audio that is not 1-D or is shorter than one FFT frame.
    """
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise ValueError(f"expected mono audio (1-D samples), got an array of shape {y.shape}")
    if sr != FEATURE_SAMPLE_RATE:
        y = librosa.resample(y, orig_sr=sr, target_sr=FEATURE_SAMPLE_RATE)
    sr = FEATURE_SAMPLE_RATE
    if len(y) < N_FFT:
        raise ValueError(f"audio too short for features: {len(y)} samples at {sr} Hz, need at least {N_FFT}")

    magnitude = np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP))
    power = magnitude**2
    raw: dict[str, float] = {}
    _summarise(raw, "chroma_stft", librosa.feature.chroma_stft(S=power, sr=sr, n_fft=N_FFT, hop_length=HOP))
    _summarise(raw, "rms", librosa.feature.rms(y=y, frame_length=N_FFT, hop_length=HOP))
    _summarise(raw, "spectral_centroid", librosa.feature.spectral_centroid(S=magnitude, sr=sr, n_fft=N_FFT))
    _summarise(raw, "spectral_bandwidth", librosa.feature.spectral_bandwidth(S=magnitude, sr=sr, n_fft=N_FFT))
    _summarise(raw, "rolloff", librosa.feature.spectral_rolloff(S=magnitude, sr=sr, n_fft=N_FFT))
    _summarise(raw, "zero_crossing_rate",
               librosa.feature.zero_crossing_rate(y, frame_length=N_FFT, hop_length=HOP))
    if hpss:
        harmonic, percussive = librosa.effects.hpss(y)
        _summarise(raw, "harmony", harmonic)
        _summarise(raw, "perceptr", percussive)
    onsets = librosa.onset.onset_strength(y=y, sr=sr, hop_length=HOP)
    raw["tempo"] = float(librosa.feature.tempo(onset_envelope=onsets, sr=sr, hop_length=HOP)[0])
    mel = librosa.feature.melspectrogram(S=power, sr=sr)
    mfcc = librosa.feature.mfcc(S=librosa.power_to_db(mel), n_mfcc=N_MFCC)
    for i, row in enumerate(mfcc, start=1):
        _summarise(raw, f"mfcc{i}", row)
    if contrast:
        bands = librosa.feature.spectral_contrast(S=magnitude, sr=sr, n_fft=N_FFT, n_bands=N_CONTRAST_BANDS - 1)
        for i, row in enumerate(bands, start=1):
            _summarise(raw, f"spectral_contrast{i}", row)
    return {name: raw[name] for name in feature_names(hpss=hpss, contrast=contrast)}


def feature_matrix(rows: Iterable[Mapping[str, float]], names: Sequence[str]) -> np.ndarray:
    """Stack feature dicts into an (n, len(names)) float64 matrix, columns in ``names`` order."""
    matrix = np.array([[row[name] for name in names] for row in rows], dtype=np.float64)
    return matrix.reshape(-1, len(names))
