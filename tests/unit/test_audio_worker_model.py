"""The CNN and its training API: embedding shape, unit norm, determinism, save and load, the fallback embedder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from botify_audio.embedder import CnnEmbedder, Embedder, LogMelStatsEmbedder, load_embedder
from botify_audio.spectrogram import MelConfig, log_mel, mel_filter_bank
from botify_audio.training import TrainConfig, TrainedModel, stratified_split, train

RATE = 16_000
TINY = TrainConfig(epochs=4, batch_size=8, segments_per_clip=2, val_fraction=0.25, embedding_dim=32,
                   segment_seconds=1.0, max_segments=3, channels=(8, 16), threads=1, data_name="tones and noise")


def clip(kind: str, rng: np.random.Generator, seconds: float = 2.5) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    if kind == "tone":
        wave = np.sin(2 * np.pi * rng.uniform(150, 300) * t)
    else:
        wave = rng.standard_normal(len(t)) * np.sin(2 * np.pi * 4 * t) ** 2
    return (0.3 * wave).astype(np.float32)


@pytest.fixture(scope="module")
def tiny_model() -> TrainedModel:
    rng = np.random.default_rng(1)
    labels = ["tone", "noise"] * 8
    waves = [clip(label, rng) for label in labels]
    return train(waves, labels, TINY, seed=3)


def test_log_mel_is_batched_and_matches_librosa() -> None:
    import librosa

    wave = np.random.default_rng(0).standard_normal(RATE).astype(np.float32)
    config = MelConfig()
    ours = log_mel(torch.from_numpy(np.stack([wave, wave])), config).numpy()
    theirs = librosa.feature.melspectrogram(y=wave, sr=RATE, n_fft=config.n_fft, hop_length=config.hop_length,
                                            n_mels=config.n_mels, fmin=config.fmin, center=True, pad_mode="constant")
    assert ours.shape == (2, config.n_mels, config.frames(RATE))
    np.testing.assert_allclose(ours[0], np.log(theirs + 1e-6), atol=1e-3)
    np.testing.assert_array_equal(ours[0], ours[1])
    for config in (MelConfig(), MelConfig(sample_rate=22_050, n_fft=2048, n_mels=128, fmin=0.0, fmax=8000.0)):
        np.testing.assert_allclose(mel_filter_bank(config), librosa.filters.mel(
            sr=config.sample_rate, n_fft=config.n_fft, n_mels=config.n_mels, fmin=config.fmin, fmax=config.fmax),
            rtol=1e-4, atol=1e-7)


def test_a_trained_model_learns_separates_and_embeds_deterministically(tiny_model: TrainedModel) -> None:
    rng = np.random.default_rng(99)
    waves = [clip("tone", rng, 4.0), clip("noise", rng, 4.0), clip("tone", rng, 0.5)]
    embeddings = tiny_model.embed(waves)
    assert embeddings.shape == (3, 32) and embeddings.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(embeddings, tiny_model.embed(waves))  # same input, same vector
    probabilities = tiny_model.predict_proba(waves)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert [tiny_model.genres[i] for i in probabilities.argmax(axis=1)] == ["tone", "noise", "tone"]
    card = tiny_model.card
    assert card["data"]["clips"] == 16 and card["split"]["validation"] == 4 and card["metrics"]["accuracy"] >= 0.75


def test_same_seed_same_model() -> None:
    rng = np.random.default_rng(1)
    labels = ["tone", "noise"] * 4
    waves = [clip(label, rng) for label in labels]
    quick = TrainConfig(**{**TINY.__dict__, "epochs": 1, "val_fraction": 0.0})
    first, second = (train(waves, labels, quick, seed=5).embed(waves[:2]) for _ in range(2))
    np.testing.assert_array_equal(first, second)


def test_save_load_and_the_model_card(tiny_model: TrainedModel, tmp_path: Path) -> None:
    folder = tiny_model.save(tmp_path)
    assert {p.name for p in folder.iterdir()} == {"model.pt", "card.json", "card.md"}
    assert json.loads((folder / "card.json").read_text())["version"] == tiny_model.version
    assert "## Validation metrics" in (folder / "card.md").read_text()
    loaded = TrainedModel.load(tmp_path, "latest")
    wave = [clip("noise", np.random.default_rng(5))]
    np.testing.assert_array_equal(loaded.embed(wave), tiny_model.embed(wave))
    assert loaded.genres == tiny_model.genres and loaded.version == tiny_model.version
    embedder = load_embedder(tmp_path, "latest", 128)
    assert isinstance(embedder, CnnEmbedder) and isinstance(embedder, Embedder)
    with pytest.raises(FileNotFoundError, match="versions there"):
        TrainedModel.load(tmp_path, "cnn-never")


def test_without_a_checkpoint_the_fallback_says_what_it_is(tmp_path: Path) -> None:
    embedder = load_embedder(tmp_path / "empty", "latest", 24)
    assert isinstance(embedder, LogMelStatsEmbedder) and "untrained" in embedder.version
    rng = np.random.default_rng(0)
    segments = [np.stack([clip("tone", rng, 3.0)] * 2), np.stack([clip("noise", rng, 3.0)])]
    vectors, probabilities = embedder.embed_batch(segments)
    assert vectors.shape == (2, 24) and probabilities.shape == (2, 0)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(vectors, embedder.embed_batch(segments)[0])


def test_stratified_split_holds_out_each_genre() -> None:
    labels = ["a"] * 10 + ["b"] * 5 + ["c"] * 2
    train_idx, held = stratified_split(labels, 0.2, seed=0)
    assert sorted(train_idx + held) == list(range(17))
    assert [labels[i] for i in held].count("a") == 2 and [labels[i] for i in held].count("c") == 1
    assert stratified_split(labels, 0.2, seed=0) == (train_idx, held)


@pytest.mark.data
def test_without_a_checkpoint_but_with_gtzan_features_the_handcrafted_embedder_is_used(data_dir: Path,
                                                                                      tmp_path: Path) -> None:
    embedder = load_embedder(tmp_path / "no-models", "latest", 128, data_dir)
    assert embedder.version.startswith("handcrafted-") and len(embedder.genres) == 10
    rng = np.random.default_rng(0)
    t = np.arange(embedder.sample_rate * 3) / embedder.sample_rate
    segments = [np.stack([(0.3 * np.sin(2 * np.pi * 220 * t) + 0.01 * rng.standard_normal(len(t))).astype(np.float32)])]
    vectors, probabilities = embedder.embed_batch(segments)
    assert vectors.shape == (1, 128) and abs(float(np.linalg.norm(vectors[0])) - 1) < 1e-5
    assert probabilities.shape == (1, 10) and abs(float(probabilities.sum()) - 1) < 1e-5
