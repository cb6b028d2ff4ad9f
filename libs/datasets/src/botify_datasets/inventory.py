"""``botify data check``: load every real dataset with its checks and say what is there."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from botify_core.settings import PathSettings
from botify_datasets.audio_examples import example_recordings
from botify_datasets.errors import DatasetError
from botify_datasets.gtzan import load_gtzan_clips, load_gtzan_features
from botify_datasets.hetrec import load_hetrec
from botify_datasets.jamendo import load_jamendo
from botify_datasets.lastfm1k import load_profiles, load_scrobbles
from botify_datasets.thirty_music import load_30music


def _describe(key: str, data_dir: Path, verify: bool) -> str:
    if key == "hetrec":
        h = load_hetrec(data_dir, verify=verify)
        return f"{h.plays['user_id'].nunique()} users, {len(h.artists)} artists, {len(h.plays)} user-artist counts"
    if key == "lastfm1k":
        s = load_scrobbles(data_dir, verify=verify)
        return f"{len(s)} scrobbles, {len(load_profiles(data_dir, verify=verify))} profiles"
    if key == "30music":
        plays = load_30music(data_dir, verify=verify)
        return f"{len(plays)} plays, {plays['user_id'].nunique()} users, {plays['session_id'].nunique()} sessions"
    if key == "jamendo":
        return f"{len(load_jamendo(data_dir, verify=verify))} tracks"
    if key == "gtzan-features":
        return f"{len(load_gtzan_features(data_dir, verify=verify))} clips"
    if key == "gtzan-audio":
        return f"{len(load_gtzan_clips(data_dir, verify=verify))} clips"
    return f"{len(example_recordings(data_dir, verify=verify))} recordings"


CHECKS: tuple[str, ...] = ("hetrec", "lastfm1k", "30music", "jamendo", "gtzan-features", "gtzan-audio",
                          "librosa-examples")


def check_all(paths: PathSettings, describe: Callable[[str, Path, bool], str] = _describe) -> dict[str, str]:
    """``{dataset key: "ok: ..." | "error: ..."}`` for every dataset."""
    result = {}
    for key in CHECKS:
        try:
            result[key] = "ok: " + describe(key, paths.data_dir, paths.verify_checksums)
        except DatasetError as exc:
            result[key] = f"error: {exc}"
    return result
