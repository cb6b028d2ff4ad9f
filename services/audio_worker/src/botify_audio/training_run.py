"""Train from a folder and save under ``var/models/audio``, with a progress bar: what ``botify audio train`` and
``botify up`` (first start, demo clips) run."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from botify_audio.clips import labelled_clips
from botify_audio.settings import AudioSettings
from botify_audio.training import LATEST, EpochReport, TrainConfig, TrainedModel, train

#: small enough to train on the demo clips in well under a minute on two cores
DEMO_CONFIG = TrainConfig(epochs=6, segments_per_clip=1, batch_size=32, channels=(8, 16, 32, 64), segment_seconds=2.0,
                          learning_rate=3e-3,
                          val_fraction=0.15)


def default_data(settings: AudioSettings) -> Path:
    """GTZAN's clips when BOTIFY_DATA_DIR has them, else the demo clips."""
    gtzan = settings.paths.data_dir / "gtzan-mini-audio"
    return gtzan if (gtzan / "manifest.csv").is_file() else settings.paths.var_dir / "demo"


def train_and_save(folder: Path, settings: AudioSettings, *, epochs: int, seed: int = 0, val_fraction: float = 0.2,
                   threads: int = 1, base: TrainConfig | None = None, progress: bool = True) -> TrainedModel:
    from tqdm import tqdm

    clips = labelled_clips(folder)
    config = dataclasses.replace(base or TrainConfig(), epochs=epochs, val_fraction=val_fraction, threads=threads,
                                 embedding_dim=settings.embedding_dim, max_segments=settings.max_segments,
                                 data_name=clips.name)
    with tqdm(total=epochs, unit="epoch", desc=f"training on {len(clips.paths)} clips", disable=not progress) as bar:

        def report(epoch: EpochReport) -> None:
            bar.set_postfix(loss=f"{epoch.train_loss:.3f}", val_acc="-" if epoch.val_accuracy is None
                            else f"{epoch.val_accuracy:.2f}")
            bar.update(1)

        model = train(clips.paths, clips.labels, config, seed, progress=report)
    model.save(settings.model_root)
    return model


def ensure_demo_model(settings: AudioSettings) -> str | None:
    """Train a small model on the demo clips unless a model exists; the new version, or None when one was there."""
    if (settings.model_root / LATEST).is_file():
        return None
    model = train_and_save(settings.paths.var_dir / "demo", settings, epochs=DEMO_CONFIG.epochs,
                           val_fraction=DEMO_CONFIG.val_fraction, threads=1, base=DEMO_CONFIG)
    return model.version
