"""Labelled clips to train on, from a folder in one of three layouts.

- GTZAN as staged in ``../shared/data/gtzan-mini-audio``: ``manifest.csv`` with ``file`` and ``genre``;
- the synthetic demo world (``botify demo-data``, ``var/demo``): ``tracks.csv`` and ``audio/<track_id>.flac``;
- any folder of genre folders: ``<genre>/<clip>.{wav,flac,ogg,mp3}``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif")


@dataclass(frozen=True)
class LabelledClips:
    name: str
    paths: list[Path]
    labels: list[str]


def labelled_clips(folder: Path) -> LabelledClips:
    """The clips and their genres in ``folder``; ValueError saying which layouts were looked for."""
    if (folder / "manifest.csv").is_file():
        with (folder / "manifest.csv").open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        if rows and {"file", "genre"} <= rows[0].keys():
            return _existing(f"GTZAN clips in {folder}", [(folder / r["file"], r["genre"]) for r in rows])
    if (folder / "tracks.csv").is_file() and (folder / "audio").is_dir():
        with (folder / "tracks.csv").open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        return _existing(f"synthetic demo clips in {folder}",
                         [(folder / "audio" / f"{r['track_id']}.flac", r["genre"]) for r in rows])
    pairs = [(path, genre.name) for genre in sorted(folder.iterdir()) if genre.is_dir()
             for path in sorted(genre.iterdir()) if path.suffix.lower() in AUDIO_SUFFIXES] if folder.is_dir() else []
    if pairs:
        return _existing(f"clips by genre folder in {folder}", pairs)
    raise ValueError(f"no labelled clips in {folder}: expected manifest.csv (file, genre), a demo world "
                     "(tracks.csv and audio/), or one folder of audio files per genre")


def _existing(name: str, pairs: list[tuple[Path, str]]) -> LabelledClips:
    found = [(path, label) for path, label in pairs if path.is_file()]
    if not found:
        raise ValueError(f"{name}: none of the {len(pairs)} listed audio files exists")
    return LabelledClips(name, [p for p, _ in found], [label for _, label in found])
