"""Decoding real audio files of every format we support, and refusing bad ones with a reason."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile

from botify_audio.decode import decode, decode_segments, probe, segment_starts
from botify_audio.failures import AudioError, Failure

RATE = 16_000


def tone(seconds: float, rate: int = 22_050, channels: int = 2, hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    wave = 0.3 * np.sin(2 * np.pi * hz * t)
    return np.stack([wave] * channels, axis=1).astype(np.float32)


def encoded(fmt: str, seconds: float = 2.0, rate: int = 22_050, subtype: str | None = None) -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, tone(seconds, rate), rate, format=fmt, subtype=subtype)
    return buffer.getvalue()


FORMATS: list[tuple[str, str | None]] = [("WAV", None), ("FLAC", None), ("OGG", "VORBIS")]
if "MP3" in soundfile.available_formats():
    FORMATS.append(("MP3", "MPEG_LAYER_III"))


@pytest.mark.parametrize(("fmt", "subtype"), FORMATS, ids=[f for f, _ in FORMATS])
def test_every_format_decodes_to_mono_at_the_rate_asked(tmp_path: Path, fmt: str, subtype: str | None) -> None:
    path = tmp_path / f"clip.{fmt.lower()}"
    path.write_bytes(encoded(fmt, subtype=subtype))
    for source in (path, str(path), path.read_bytes()):
        wave = decode(source, RATE)
        assert wave.dtype == np.float32 and wave.ndim == 1
        assert abs(len(wave) - 2 * RATE) < 0.1 * RATE  # lossy codecs pad a little
        # still a 440 Hz tone after decoding, down-mixing and resampling
        spectrum = np.abs(np.fft.rfft(wave[: RATE]))
        assert abs(np.argmax(spectrum) * RATE / RATE - 440) <= 2


def test_segments_cover_a_short_track_and_sample_a_long_one(tmp_path: Path) -> None:
    path = tmp_path / "long.flac"
    soundfile.write(path, tone(40.0, 8_000, channels=1), 8_000)
    segments = decode_segments(path, RATE, 3.0, 4)
    assert segments.shape == (4, 3 * RATE)
    assert np.abs(segments).max() > 0.2  # audio, not padding
    short = decode_segments(encoded("WAV", seconds=2.0), RATE, 3.0, 4)
    assert short.shape == (1, 3 * RATE) and np.all(short[0, int(2.1 * RATE):] == 0)
    assert segment_starts(10 * RATE, 3 * RATE, 10) == [0, 2 * RATE + RATE // 3, round(4.6667 * RATE), 7 * RATE]


def truncated_flac() -> bytes:
    whole = encoded("FLAC", seconds=4.0)
    return whole[: len(whole) // 2]


BAD: list[tuple[Callable[[], bytes], Failure]] = [
    (lambda: b"", Failure.EMPTY),
    (truncated_flac, Failure.UNREADABLE),
    (lambda: b"<html><body>not a song</body></html>" * 10, Failure.UNREADABLE),
    (lambda: encoded("WAV", seconds=0.1), Failure.TOO_SHORT),
]



@pytest.mark.parametrize(("make", "reason"), BAD, ids=["empty", "truncated-flac", "text", "0.1s"])
def test_bad_audio_is_refused_with_its_reason(make: Callable[[], bytes], reason: Failure) -> None:
    data = make()
    with pytest.raises(AudioError) as whole:
        decode(data, RATE, min_seconds=1.0)
    with pytest.raises(AudioError) as segments:
        decode_segments(data, RATE, 3.0, 4, min_seconds=1.0)
    for caught in (whole, segments):
        assert caught.value.reason is reason and str(caught.value).startswith(reason.value)


def test_a_30_minute_file_is_refused_from_its_header_without_decoding(tmp_path: Path) -> None:
    path = tmp_path / "long.flac"
    soundfile.write(path, np.zeros(30 * 60 * 4_000, np.int16), 4_000, subtype="PCM_16")  # silence packs small
    assert probe(path).seconds == 1800
    with pytest.raises(AudioError) as caught:
        decode_segments(path, RATE, 3.0, 4, max_seconds=1200)
    assert caught.value.reason is Failure.TOO_LONG and "1800" in caught.value.detail


def test_a_missing_file_is_unreachable(tmp_path: Path) -> None:
    with pytest.raises(AudioError) as caught:
        decode(tmp_path / "nope.flac", RATE)
    assert caught.value.reason is Failure.UNREACHABLE


@pytest.mark.data
def test_real_clips_decode(data_dir: Path) -> None:
    from botify_datasets.audio_examples import example_recordings
    from botify_datasets.gtzan import load_gtzan_clips

    clips = load_gtzan_clips(data_dir, verify=False)
    for path in list(clips.path[:: 25]) + example_recordings(data_dir, verify=False)[:2]:
        wave = decode(path, RATE)
        assert wave.ndim == 1 and len(wave) > 4 * RATE and 0.001 < float(np.abs(wave).mean()) < 1.0
        segments = decode_segments(path, RATE, 3.0, 6)
        assert segments.shape[1] == 3 * RATE and 1 <= len(segments) <= 6
