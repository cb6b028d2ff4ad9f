"""The 100 GTZAN audio clips as the genre section uses them: decoded for the CNN, described by our extractor (cached
under ``var/lab``, since the features of 100 clips cost a few minutes), and the per-fold CNN.

Each clip is timed as it is processed, so the section can report the inference cost per clip of both paths.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile
from tqdm import tqdm

from botify_audio.decode import decode
from botify_audio.features import extract_features
from botify_audio.settings import DEFAULT_SAMPLE_RATE
from botify_audio.training import TrainConfig, TrainedModel, train
from botify_datasets.gtzan import load_gtzan_clips


@dataclass(frozen=True)
class AudioClips:
    filenames: list[str]        # as in the features table: blues.00000.wav
    paths: list[Path]
    labels: list[str]
    seconds: float | None       # None: whole clips; else the first ``seconds`` of each


def select_clips(data_dir: Path, per_genre: int | None, seconds: float | None, *, verify: bool) -> AudioClips:
    """The first ``per_genre`` clips of each genre (all when None)."""
    clips = load_gtzan_clips(data_dir, verify=verify)
    if per_genre is not None:
        clips = clips.groupby("genre", sort=False).head(per_genre)
    paths = [Path(p) for p in clips["path"]]
    return AudioClips([p.stem + ".wav" for p in paths], paths, clips["genre"].astype(str).tolist(), seconds)


def _excerpt(wave: np.ndarray, rate: int, seconds: float | None) -> np.ndarray:
    return wave if seconds is None else wave[: int(seconds * rate)]


def _features_of(job: tuple[str, float | None, bool]) -> tuple[dict[str, float], float]:
    path, seconds, hpss = job
    started = time.perf_counter()
    wave, rate = soundfile.read(path, dtype="float32")
    features = extract_features(_excerpt(wave, rate, seconds), rate, hpss=hpss)
    return features, time.perf_counter() - started


def clip_features(clips: AudioClips, *, hpss: bool, cache_dir: Path | None, workers: int) -> tuple[pd.DataFrame, float]:
    """Our extractor's features of every clip (rows by file name) and the median seconds one clip took (decode
    included; the median, because a process's first clip also pays librosa's one-off compilation).
    Cached in ``cache_dir`` per clip, excerpt, HPSS choice and librosa version."""
    key = f"genre-features-{'all' if clips.seconds is None else f'{clips.seconds:g}s'}-hpss{int(hpss)}-" \
          f"librosa{version('librosa')}.json"
    cache_path = cache_dir / key if cache_dir else None
    cached: dict[str, dict[str, object]] = json.loads(cache_path.read_text()) if cache_path and \
        cache_path.is_file() else {}
    todo = [i for i, name in enumerate(clips.filenames) if name not in cached]
    jobs = [(str(clips.paths[i]), clips.seconds, hpss) for i in todo]
    if jobs:
        if workers > 1:
            with ProcessPoolExecutor(workers) as pool:
                results = list(tqdm(pool.map(_features_of, jobs), total=len(jobs), desc="genre: features",
                                    unit="clip"))
        else:
            results = [_features_of(job) for job in tqdm(jobs, desc="genre: features", unit="clip")]
        for i, (features, seconds) in zip(todo, results, strict=True):
            cached[clips.filenames[i]] = {"features": features, "seconds": seconds}
        if cache_path:
            cache_path.parent.mkdir(parents=True, exist_ok=True)
            cache_path.write_text(json.dumps(cached))
    rows = [cached[name] for name in clips.filenames]
    frame = pd.DataFrame([r["features"] for r in rows], index=clips.filenames)
    return frame, float(np.median([float(r["seconds"]) for r in rows]))  # type: ignore[arg-type]


def steady_feature_seconds(clips: AudioClips, *, hpss: bool, n: int = 4) -> float:
    """Seconds one clip's features take in a warm process (decode included): one clip to warm up librosa's
    compiled code, then the median of ``n``. The per-clip times in ``clip_features`` come from a shared pool and
    a cache, so they say little about cost."""
    jobs = [(str(p), clips.seconds, hpss) for p in clips.paths[: n + 1]]
    _features_of(jobs[0])
    return float(np.median([_features_of(job)[1] for job in jobs[1:]]))


def decode_clips(clips: AudioClips, sample_rate: int = DEFAULT_SAMPLE_RATE) -> tuple[list[np.ndarray], float]:
    """Mono waves at ``sample_rate`` as the worker decodes them, and the mean decode seconds per clip."""
    started = time.perf_counter()
    waves = [_excerpt(decode(p, sample_rate), sample_rate, clips.seconds) for p in clips.paths]
    return waves, (time.perf_counter() - started) / max(1, len(waves))


@dataclass
class CnnFold:
    model: TrainedModel
    train_seconds: float
    probabilities: np.ndarray      # of the fold's test clips, columns in ``model.genres`` order
    predict_seconds_per_clip: float
    embeddings: np.ndarray         # of every clip, by this fold's model


def cnn_fold(waves: Sequence[np.ndarray], labels: Sequence[str], train_rows: np.ndarray, test_rows: np.ndarray,
             config: TrainConfig, seed: int) -> CnnFold:
    """Train on ``train_rows`` only (no internal validation split), then predict the test rows, embed all."""
    started = time.perf_counter()
    model = train([waves[i] for i in train_rows], [labels[i] for i in train_rows], config, seed)
    train_seconds = time.perf_counter() - started
    started = time.perf_counter()
    probabilities = model.predict_proba([waves[i] for i in test_rows])
    per_clip = (time.perf_counter() - started) / max(1, len(test_rows))
    return CnnFold(model, train_seconds, probabilities, per_clip, model.embed(list(waves)))
