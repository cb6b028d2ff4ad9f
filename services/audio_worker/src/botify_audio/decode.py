"""Decode audio (wav, flac, ogg, mp3, ... whatever libsndfile or audioread reads) to mono float32 at a fixed rate.

>>> import io, numpy as np, soundfile
>>> buffer = io.BytesIO()
>>> soundfile.write(buffer, np.zeros((22050, 2), dtype="float32"), 22050, format="WAV")
>>> decode(buffer.getvalue(), 16000).shape
(16000,)
>>> decode(b"", 16000)
Traceback (most recent call last):
...
botify_audio.failures.AudioError: empty: no bytes
"""

from __future__ import annotations

import io
import os
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
import soxr

from botify_audio.failures import AudioError, Failure

__all__ = ["AudioError", "AudioInfo", "Failure", "cut_segments", "decode", "decode_segments", "fit_length", "probe",
           "segment_starts"]

Source = Path | str | bytes

#: a stream may end this much short of what its header promised (encoder padding) before we call it truncated
_TRUNCATION_SLACK_S = 0.25


@dataclass(frozen=True)
class AudioInfo:
    sample_rate: int
    frames: int
    channels: int
    format: str

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0


@contextmanager
def _opened(source: Source) -> Iterator[soundfile.SoundFile]:
    if isinstance(source, bytes | bytearray):
        if not source:
            raise AudioError(Failure.EMPTY, "no bytes")
        target: io.BytesIO | str = io.BytesIO(source)
    else:
        path = Path(source)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise AudioError(Failure.UNREACHABLE, f"cannot read {path}: {exc.strerror or exc}") from exc
        if size == 0:
            raise AudioError(Failure.EMPTY, f"{path} has no bytes")
        target = str(path)
    try:
        handle = soundfile.SoundFile(target)
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as exc:
        raise AudioError(Failure.UNREADABLE, f"not audio libsndfile can read: {exc}") from exc
    with handle:
        yield handle


def probe(source: Source) -> AudioInfo:
    """Rate, length and format from the header, without decoding."""
    with _opened(source) as handle:
        return AudioInfo(handle.samplerate, handle.frames, handle.channels, handle.format)


def _check_length(info: AudioInfo, min_seconds: float, max_seconds: float | None) -> None:
    if info.frames <= 0:
        raise AudioError(Failure.EMPTY, "no samples")
    if info.seconds < min_seconds:
        raise AudioError(Failure.TOO_SHORT, f"{info.seconds:.2f} s of audio; at least {min_seconds:.2f} s needed")
    if max_seconds is not None and info.seconds > max_seconds:
        raise AudioError(Failure.TOO_LONG, f"{info.seconds:.1f} s of audio; at most {max_seconds:.0f} s allowed")


def _mono_at(frames: np.ndarray, rate: int, sample_rate: int) -> np.ndarray:
    mono = frames.mean(axis=1) if frames.ndim == 2 else frames
    mono = np.ascontiguousarray(mono, dtype=np.float32)
    if rate != sample_rate:
        mono = soxr.resample(mono, rate, sample_rate, quality="HQ").astype(np.float32, copy=False)
    if not np.isfinite(mono).all():
        raise AudioError(Failure.UNREADABLE, "decoded samples are not finite")
    return mono


def _read(handle: soundfile.SoundFile, frames: int) -> np.ndarray:
    try:
        data: np.ndarray = handle.read(frames, dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError) as exc:
        raise AudioError(Failure.UNREADABLE, f"decoding failed part way: {exc}") from exc
    return data


def _check_complete(got: int, wanted: int, rate: int) -> None:
    if wanted - got > _TRUNCATION_SLACK_S * rate:
        raise AudioError(Failure.UNREADABLE, f"truncated: the header promises {wanted / rate:.2f} s, "
                                             f"only {got / rate:.2f} s decode")


def decode(source: Source, sample_rate: int, *, min_seconds: float = 0.0,
           max_seconds: float | None = None) -> np.ndarray:
    """The whole track as mono float32 samples at ``sample_rate``; :class:`AudioError` says why not."""
    try:
        with _opened(source) as handle:
            info = AudioInfo(handle.samplerate, handle.frames, handle.channels, handle.format)
            _check_length(info, min_seconds, max_seconds)
            data = _read(handle, info.frames)
    except AudioError as error:
        if error.reason is not Failure.UNREADABLE:
            raise
        return _decode_with_audioread(source, sample_rate, error, min_seconds, max_seconds)
    _check_complete(len(data), info.frames, info.sample_rate)
    return _mono_at(data, info.sample_rate, sample_rate)


def segment_starts(total: int, length: int, max_segments: int) -> list[int]:
    """Where the segments of a track start: enough to cover it (at most ``max_segments``), spread evenly.

    >>> segment_starts(100, 30, 10)
    [0, 23, 47, 70]
    >>> segment_starts(1000, 30, 3)
    [0, 485, 970]
    >>> segment_starts(10, 30, 5)
    [0]
    """
    if total <= length:
        return [0]
    count = min(max_segments, -(-total // length))
    return [round(x) for x in np.linspace(0, total - length, count)]


def decode_segments(source: Source, sample_rate: int, segment_seconds: float, max_segments: int, *,
                    min_seconds: float = 0.0, max_seconds: float | None = None) -> np.ndarray:
    """Up to ``max_segments`` segments of ``segment_seconds``, spread over the track: shape (k, samples).

    Reads only those segments (seeking), so a long track costs what a short one does. A track shorter than a
    segment is zero-padded.
    """
    length = round(segment_seconds * sample_rate)
    try:
        with _opened(source) as handle:
            info = AudioInfo(handle.samplerate, handle.frames, handle.channels, handle.format)
            _check_length(info, min_seconds, max_seconds)
            source_length = round(segment_seconds * info.sample_rate)
            starts = segment_starts(info.frames, source_length, max_segments)
            if len(starts) * source_length >= info.frames:  # the segments cover it: one sequential read
                data = _read(handle, info.frames)
                _check_complete(len(data), info.frames, info.sample_rate)
                return cut_segments(_mono_at(data, info.sample_rate, sample_rate), length, max_segments)
            pieces = []
            for start in starts:
                try:
                    handle.seek(start)
                except (soundfile.LibsndfileError, RuntimeError) as exc:
                    raise AudioError(Failure.UNREADABLE, f"cannot seek to {start / info.sample_rate:.1f} s: "
                                                         f"{exc}") from exc
                data = _read(handle, source_length)
                _check_complete(len(data), source_length, info.sample_rate)
                pieces.append(fit_length(_mono_at(data, info.sample_rate, sample_rate), length))
            return np.stack(pieces)
    except AudioError as error:
        if error.reason is not Failure.UNREADABLE:
            raise
        whole = _decode_with_audioread(source, sample_rate, error, min_seconds, max_seconds)
        return cut_segments(whole, length, max_segments)


def fit_length(wave: np.ndarray, length: int) -> np.ndarray:
    """``wave`` cut or zero-padded to ``length`` samples."""
    if len(wave) >= length:
        return wave[:length]
    return np.pad(wave, (0, length - len(wave)))


def cut_segments(wave: np.ndarray, length: int, max_segments: int) -> np.ndarray:
    """The segments of a decoded wave, as :func:`decode_segments` reads them from a file: (k, length)."""
    return np.stack([fit_length(wave[s:s + length], length) for s in segment_starts(len(wave), length, max_segments)])


def _decode_with_audioread(source: Source, sample_rate: int, first: AudioError, min_seconds: float,
                           max_seconds: float | None) -> np.ndarray:
    """The second chance for formats libsndfile lacks (m4a, ...) when a system decoder (ffmpeg, gstreamer) exists."""
    with warnings.catch_warnings():  # audioread imports stdlib modules Python 3.13 drops (aifc, audioop, sunau)
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioread

    if isinstance(source, bytes | bytearray):
        with tempfile.NamedTemporaryFile(suffix=".audio", delete=False) as spool:
            spool.write(source)
        try:
            return _decode_with_audioread(Path(spool.name), sample_rate, first, min_seconds, max_seconds)
        finally:
            os.unlink(spool.name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            opened = audioread.audio_open(str(source))
        with opened as stream:
            rate, channels, seconds = stream.samplerate, stream.channels, stream.duration
            if seconds:
                _check_length(AudioInfo(rate, int(seconds * rate), channels, "audioread"), min_seconds, max_seconds)
            raw = b"".join(stream)
    except audioread.NoBackendError:
        raise first from None  # no system decoder: libsndfile's reason is the one to report
    except (audioread.DecodeError, OSError, EOFError) as exc:
        raise AudioError(Failure.UNREADABLE, f"{first.detail}; audioread: {exc}") from exc
    samples = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    frames = samples.reshape(-1, channels) if channels > 1 else samples
    _check_length(AudioInfo(rate, len(frames), channels, "audioread"), min_seconds, max_seconds)
    return _mono_at(frames, rate, sample_rate)
