"""Train the genre CNN on labelled clips, and the trained model: embed, predict, save, load.

    model = train(paths, genres, TrainConfig(epochs=20), seed=0)
    model.predict_proba([wave])       # (1, len(model.genres)), rows sum to 1
    model.embed([wave])               # (1, embedding_dim), unit rows
    model.save(Path("var/models/audio"))   # var/models/audio/<version>/{model.pt,card.json,card.md}
    TrainedModel.load(Path("var/models/audio"), "latest")

Training draws random segments of every training clip each epoch and augments them (gain, noise, a masked band
of mels and of frames), holds out a stratified share of the clips for validation, and writes a model card with
the data, the split and the validation metrics. Waves are mono float32 at ``config.sample_rate``.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F  # noqa: N812

from botify_audio.decode import cut_segments, decode, fit_length
from botify_audio.model import GenreCNN
from botify_audio.settings import DEFAULT_SAMPLE_RATE
from botify_audio.spectrogram import LogMel, MelConfig

LATEST = "LATEST"
CHECKPOINT = "model.pt"
CARD_JSON = "card.json"
CARD_MD = "card.md"


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 30
    batch_size: int = 32
    learning_rate: float = 2e-3
    weight_decay: float = 1e-4
    segments_per_clip: int = 4      # random segments drawn from each training clip per epoch
    val_fraction: float = 0.2       # stratified share of clips held out (0: train on everything, no metrics)
    embedding_dim: int = 128
    sample_rate: int = DEFAULT_SAMPLE_RATE
    segment_seconds: float = 3.0
    max_segments: int = 6           # segments pooled per clip at inference
    n_mels: int = 64
    channels: tuple[int, ...] = (12, 24, 48, 96)
    augment: bool = True
    threads: int = 1                # torch threads while training (2 helps only on an idle machine: spinning
                                    # OpenMP threads on shared cores made an epoch 20x slower here)
    version: str | None = None      # default: cnn-<UTC time>-s<seed>
    data_name: str = ""             # what the clips are, for the model card

    @property
    def mel(self) -> MelConfig:
        return MelConfig(sample_rate=self.sample_rate, n_mels=self.n_mels)

    @property
    def segment_samples(self) -> int:
        return round(self.segment_seconds * self.sample_rate)


@dataclass(frozen=True)
class EpochReport:
    epoch: int
    epochs: int
    train_loss: float
    val_accuracy: float | None


Clip = Path | np.ndarray


@dataclass
class TrainedModel:
    """A trained :class:`GenreCNN` with its front end, genre vocabulary, version and model card."""

    network: GenreCNN
    genres: tuple[str, ...]
    config: TrainConfig
    version: str
    card: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.network.eval()
        self.front_end = LogMel(self.config.mel)

    @property
    def embedding_dim(self) -> int:
        return self.network.embedding_dim

    def segments(self, wave: np.ndarray) -> np.ndarray:
        """The evenly spread segments of one wave the model looks at: (k, segment_samples)."""
        return cut_segments(wave, self.config.segment_samples, self.config.max_segments)

    def embed_segments(self, tracks: Sequence[np.ndarray], chunk: int = 64) -> tuple[np.ndarray, np.ndarray]:
        """Pooled (embeddings (n, D), genre probabilities (n, G)) of tracks given as segment stacks (k_i, samples).

        All segments go through the CNN together, ``chunk`` at a time; each track's embedding is the normalised
        mean of its segments' embeddings, its probabilities the mean of theirs.
        """
        if not tracks:
            return np.zeros((0, self.embedding_dim), np.float32), np.zeros((0, len(self.genres)), np.float32)
        flat = torch.from_numpy(np.concatenate(tracks).astype(np.float32, copy=False))
        embeddings, probabilities = [], []
        with torch.inference_mode():
            for start in range(0, len(flat), chunk):
                embedding, logits = self.network(self.front_end(flat[start:start + chunk]))
                embeddings.append(embedding)
                probabilities.append(torch.softmax(logits, dim=1))
        owner = torch.repeat_interleave(torch.arange(len(tracks)), torch.tensor([len(t) for t in tracks]))
        pooled = torch.zeros(len(tracks), self.embedding_dim).index_add_(0, owner, torch.cat(embeddings))
        probs = torch.zeros(len(tracks), len(self.genres)).index_add_(0, owner, torch.cat(probabilities))
        probs /= torch.bincount(owner).unsqueeze(1)
        return F.normalize(pooled, dim=1).numpy(), probs.numpy()

    def embed(self, waves: Sequence[np.ndarray]) -> np.ndarray:
        """Unit-length embeddings (n, embedding_dim) of whole waves (mono float32 at ``config.sample_rate``)."""
        return self.embed_segments([self.segments(w) for w in waves])[0]

    def predict_proba(self, waves: Sequence[np.ndarray]) -> np.ndarray:
        """Genre probabilities (n, len(genres)), columns in the order of ``genres``."""
        return self.embed_segments([self.segments(w) for w in waves])[1]

    def save(self, root: Path) -> Path:
        """Write ``root/<version>/`` (checkpoint, card.json, card.md) and point ``root/LATEST`` at it."""
        folder = root / self.version
        folder.mkdir(parents=True, exist_ok=True)
        torch.save({"state": self.network.state_dict(), "genres": list(self.genres),
                    "config": asdict(self.config), "version": self.version}, folder / CHECKPOINT)
        (folder / CARD_JSON).write_text(json.dumps(self.card, indent=2) + "\n")
        (folder / CARD_MD).write_text(card_markdown(self.card))
        pointer = root / f".{LATEST}.{os.getpid()}"
        pointer.write_text(self.version + "\n")
        pointer.replace(root / LATEST)
        return folder

    @classmethod
    def load(cls, root: Path, version: str | None = "latest") -> TrainedModel:
        """The model saved as ``root/<version>``; ``latest`` (or None) follows ``root/LATEST``."""
        if version in (None, "latest"):
            try:
                version = (root / LATEST).read_text().strip()
            except FileNotFoundError:
                raise FileNotFoundError(f"no trained audio model in {root}: run `botify audio train`") from None
        path = root / version / CHECKPOINT
        if not path.is_file():
            raise FileNotFoundError(f"no checkpoint {path}; versions there: {available_versions(root)}")
        saved = torch.load(path, map_location="cpu", weights_only=True)
        raw = dict(saved["config"])
        raw["channels"] = tuple(raw["channels"])
        config = TrainConfig(**raw)
        network = GenreCNN(len(saved["genres"]), config.embedding_dim, config.channels)
        network.load_state_dict(saved["state"])
        card_path = root / version / CARD_JSON
        card = json.loads(card_path.read_text()) if card_path.is_file() else {}
        return cls(network, tuple(saved["genres"]), config, str(saved["version"]), card)


def available_versions(root: Path) -> list[str]:
    return sorted(p.name for p in root.glob("*") if (p / CHECKPOINT).is_file()) if root.is_dir() else []


def stratified_split(labels: Sequence[str], fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Indices (train, validation): ``fraction`` of each label's items (at least one when it has two) held out.

    >>> stratified_split(["a"] * 5 + ["b"] * 5, 0.2, seed=0)[1].__len__()
    2
    """
    rng = np.random.default_rng(seed)
    train, held = [], []
    for label in sorted(set(labels)):
        members = [i for i, x in enumerate(labels) if x == label]
        rng.shuffle(members)
        count = round(fraction * len(members)) if fraction > 0 else 0
        if fraction > 0 and len(members) >= 2:
            count = min(max(count, 1), len(members) - 1)
        held += members[:count]
        train += members[count:]
    return sorted(train), sorted(held)


def _load_waves(clips: Sequence[Clip], sample_rate: int) -> list[np.ndarray]:
    return [c.astype(np.float32, copy=False) if isinstance(c, np.ndarray) else decode(c, sample_rate)
            for c in clips]


def _random_batch(waves: Sequence[np.ndarray], targets: np.ndarray, config: TrainConfig,
                  rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    length = config.segment_samples
    pieces = np.empty((len(waves), length), np.float32)
    for row, wave in enumerate(waves):
        start = int(rng.integers(0, max(1, len(wave) - length + 1)))
        pieces[row] = fit_length(wave[start:start + length], length)
    if config.augment:
        pieces *= (10 ** (rng.uniform(-6, 6, (len(waves), 1)) / 20)).astype(np.float32)   # gain ±6 dB
        loudness = np.sqrt((pieces ** 2).mean(axis=1, keepdims=True)) + 1e-8
        snr = 10 ** (rng.uniform(20, 40, (len(waves), 1)) / 20)                          # noise 20-40 dB below
        pieces += (rng.standard_normal(pieces.shape) * loudness / snr).astype(np.float32)
    return torch.from_numpy(pieces), torch.from_numpy(targets)


def _mask(mel: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """SpecAugment-style: blank one random band of mels and one of frames in each patch (to the patch's mean)."""
    mel = mel.clone()
    n_mels, frames = mel.shape[1], mel.shape[2]
    for row in range(mel.shape[0]):
        fill = mel[row].mean()
        width = int(rng.integers(0, n_mels // 8 + 1))
        start = int(rng.integers(0, n_mels - width + 1))
        mel[row, start:start + width, :] = fill
        width = int(rng.integers(0, frames // 10 + 1))
        start = int(rng.integers(0, frames - width + 1))
        mel[row, :, start:start + width] = fill
    return mel


def classification_metrics(genres: Sequence[str], truth: Sequence[str], probabilities: np.ndarray,
                           ) -> dict[str, Any]:
    """Accuracy, macro-F1, log-loss and the confusion matrix (rows: truth, columns: predicted; ``genres`` order)."""
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, log_loss

    index = {g: i for i, g in enumerate(genres)}
    y = np.array([index[t] for t in truth])
    predicted = probabilities.argmax(axis=1)
    labels = list(range(len(genres)))
    bounded = np.clip(probabilities, 1e-7, 1.0)  # log(0) guard, renormalised so each row is a distribution again
    bounded /= bounded.sum(axis=1, keepdims=True)
    return {"accuracy": float(accuracy_score(y, predicted)),
            "macro_f1": float(f1_score(y, predicted, labels=labels, average="macro", zero_division=0)),
            "log_loss": float(log_loss(y, bounded, labels=labels)),
            "confusion": confusion_matrix(y, predicted, labels=labels).tolist(), "n": len(y)}


def train(clips: Sequence[Clip], labels: Sequence[str], config: TrainConfig, seed: int, *,
          progress: Callable[[EpochReport], None] | None = None) -> TrainedModel:
    """Train a :class:`GenreCNN` on ``clips`` (paths, or waves at ``config.sample_rate``) labelled by genre."""
    if len(clips) != len(labels):
        raise ValueError(f"{len(clips)} clips but {len(labels)} labels")
    genres = tuple(sorted(set(labels)))
    if len(genres) < 2:
        raise ValueError(f"need clips of at least two genres, got {list(genres)}")
    started = time.perf_counter()
    threads = torch.get_num_threads()
    torch.set_num_threads(config.threads)
    try:
        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        waves = _load_waves(clips, config.sample_rate)
        train_idx, val_idx = stratified_split(labels, config.val_fraction, seed)
        targets = np.array([genres.index(label) for label in labels], dtype=np.int64)
        network = GenreCNN(len(genres), config.embedding_dim, config.channels)
        front_end = LogMel(config.mel)
        optimiser = torch.optim.AdamW(network.parameters(), lr=config.learning_rate,
                                      weight_decay=config.weight_decay)
        steps_per_epoch = -(-len(train_idx) * config.segments_per_clip // config.batch_size)
        schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=config.learning_rate,
                                                       total_steps=max(1, config.epochs * steps_per_epoch))
        version = config.version or f"cnn-{datetime.now(UTC):%Y%m%d-%H%M%S}-s{seed}"
        model = TrainedModel(network, genres, config, version)
        history: list[dict[str, float | None]] = []
        for epoch in range(config.epochs):
            network.train()
            order = rng.permutation(np.repeat(np.array(train_idx), config.segments_per_clip))
            losses = []
            for start in range(0, len(order), config.batch_size):
                chosen = order[start:start + config.batch_size]
                if len(chosen) < 2:  # batch norm needs two
                    continue
                wave_batch, target_batch = _random_batch([waves[i] for i in chosen], targets[chosen], config, rng)
                with torch.no_grad():
                    mel = front_end(wave_batch)
                    if config.augment:
                        mel = _mask(mel, rng)
                _, logits = network(mel)
                loss = F.cross_entropy(logits, target_batch)
                optimiser.zero_grad()
                loss.backward()  # type: ignore[no-untyped-call]
                optimiser.step()
                schedule.step()
                losses.append(loss.item())
            network.eval()
            accuracy = None
            if val_idx:
                probabilities = model.predict_proba([waves[i] for i in val_idx])
                accuracy = float((probabilities.argmax(axis=1) == targets[val_idx]).mean())
            report = EpochReport(epoch + 1, config.epochs, float(np.mean(losses)) if losses else float("nan"),
                                 accuracy)
            history.append({"epoch": report.epoch, "train_loss": report.train_loss, "val_accuracy": accuracy})
            if progress:
                progress(report)
        metrics = (classification_metrics(genres, [labels[i] for i in val_idx],
                                          model.predict_proba([waves[i] for i in val_idx])) if val_idx else None)
        model.card = _card(model, clips, labels, train_idx, val_idx, seed, metrics, history,
                           time.perf_counter() - started)
        return model
    finally:
        torch.set_num_threads(threads)


def _card(model: TrainedModel, clips: Sequence[Clip], labels: Sequence[str], train_idx: list[int],
          val_idx: list[int], seed: int, metrics: dict[str, Any] | None, history: list[dict[str, float | None]],
          seconds: float) -> dict[str, Any]:
    paths = [str(c) for c in clips if isinstance(c, Path)]
    return {
        "version": model.version,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": {"architecture": "GenreCNN: 4 conv blocks (3x3 conv, batch norm, ReLU, 2x2 max pool), mean+max "
                                  "pooling, linear embedding (L2-normalised) and a linear genre head",
                  "channels": list(model.config.channels), "embedding_dim": model.embedding_dim,
                  "parameters": sum(p.numel() for p in model.network.parameters()),
                  "front_end": asdict(model.config.mel), "segment_seconds": model.config.segment_seconds,
                  "max_segments": model.config.max_segments},
        "data": {"name": model.config.data_name or "unnamed", "clips": len(labels),
                 "genres": list(model.genres), "per_genre": dict(sorted(Counter(labels).items())),
                 "folder": os.path.commonpath(paths) if paths else None},
        "split": {"kind": "stratified by genre, random clips", "seed": seed,
                  "val_fraction": model.config.val_fraction, "train": len(train_idx), "validation": len(val_idx),
                  "validation_clips": [str(clips[i]) for i in val_idx if isinstance(clips[i], Path)]},
        "training": {"epochs": model.config.epochs, "batch_size": model.config.batch_size,
                     "learning_rate": model.config.learning_rate, "weight_decay": model.config.weight_decay,
                     "segments_per_clip": model.config.segments_per_clip, "augment": model.config.augment,
                     "seconds": round(seconds, 1), "torch": torch.__version__, "history": history},
        "metrics": metrics,
    }


def card_markdown(card: dict[str, Any]) -> str:
    """The model card for humans."""
    data, split, training, metrics = card["data"], card["split"], card["training"], card.get("metrics")
    lines = [f"# Audio model {card['version']}", "",
             f"Trained {card['created_at']} in {training['seconds']} s (torch {training['torch']}).", "",
             "## Model", card["model"]["architecture"] + ".",
             f"Embedding {card['model']['embedding_dim']} dims, {card['model']['parameters']:,} parameters; "
             f"{card['model']['segment_seconds']} s segments, up to {card['model']['max_segments']} pooled per track; "
             f"log-mel front end {card['model']['front_end']}.", "",
             "## Data", f"{data['name']}: {data['clips']} clips from {data['folder'] or 'waves in memory'}.",
             "Per genre: " + ", ".join(f"{g} {n}" for g, n in data["per_genre"].items()) + ".", "",
             "## Split", f"{split['kind']} (seed {split['seed']}): {split['train']} clips to train, "
                         f"{split['validation']} to validate.", "",
             "## Training", f"{training['epochs']} epochs, batches of {training['batch_size']}, AdamW with a "
                            f"one-cycle schedule peaking at {training['learning_rate']}, "
                            f"{training['segments_per_clip']} random segments per clip per epoch, augmentation "
                            f"{'on (gain, noise, masked mel band and frames)' if training['augment'] else 'off'}.",
             "", "## Validation metrics"]
    if metrics is None:
        lines.append("None: every clip was used to train.")
    else:
        lines += ["| accuracy | macro-F1 | log-loss | clips |", "|---:|---:|---:|---:|",
                  f"| {metrics['accuracy']:.3f} | {metrics['macro_f1']:.3f} | {metrics['log_loss']:.3f} | "
                  f"{metrics['n']} |", "",
                  "Confusion (rows: true genre, columns: predicted, order " + ", ".join(data["genres"]) + "):", "",
                  "```"] + [" ".join(f"{v:3d}" for v in row) for row in metrics["confusion"]] + ["```"]
    return "\n".join(lines) + "\n"
