"""The part of the worker that runs in the decode processes: fetch a track's audio, fingerprint it, decode it.

It imports no torch, so the decode processes start fast and stay small. :func:`hear` returns
:class:`Unchanged` without decoding when the audio's fingerprint is the one already embedded by this model.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from botify_audio.decode import decode_segments
from botify_audio.fetch import FetchLimits, fetch


@dataclass(frozen=True)
class IntakeSpec:
    """What the embedder needs (rate, segment geometry) and what the worker accepts (limits)."""

    sample_rate: int
    segment_seconds: float
    max_segments: int
    min_seconds: float
    max_seconds: float
    fetch: FetchLimits


@dataclass(frozen=True)
class Heard:
    fingerprint: str
    segments: np.ndarray  # (k, segment samples), float32 at the embedder's rate


@dataclass(frozen=True)
class Unchanged:
    fingerprint: str


def fingerprint(data: bytes) -> str:
    """What identifies the audio's content: its bytes' SHA-256 (hex, first 32 digits)."""
    return hashlib.sha256(data).hexdigest()[:32]


def hear(uri: str, known: str | None, spec: IntakeSpec) -> Heard | Unchanged:
    """Fetch and decode one track, unless its audio is ``known`` already; raises AudioError with a reason."""
    data = fetch(uri, spec.fetch)
    mark = fingerprint(data)
    if mark == known:
        return Unchanged(mark)
    segments = decode_segments(data, spec.sample_rate, spec.segment_seconds, spec.max_segments,
                               min_seconds=spec.min_seconds, max_seconds=spec.max_seconds)
    return Heard(mark, segments)
