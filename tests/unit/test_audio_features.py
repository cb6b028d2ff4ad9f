"""Our handcrafted features against GTZAN's published ``features_30_sec.csv`` on the same clips.

The table and ``gtzan-mini-audio`` are the same GTZAN version (clip lengths match row by row), so where both
measure the same thing we should agree. Measured on all 100 clips (see docs/lab/genre.md, "Our extractor against
the published table"): every column but tempo agrees to within 0.1 of the column's spread over the 1,000 rows
(median error 0.002 of it), correlation 1.000. Tempo agrees exactly on 71 of 100 clips; on the rest librosa 0.11's
estimator picks another metrical level or peak (x2, x1.5, x0.67, ...) than the version that built the table did.
This test runs one clip per genre to stay quick.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile

from botify_audio.features import CSV_FEATURES, FEATURE_SAMPLE_RATE, extract_features, feature_names
from botify_datasets.gtzan import load_gtzan_clips, load_gtzan_features


@pytest.fixture(scope="module")
def ours_and_theirs(data_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    table = load_gtzan_features(data_dir).set_index("filename")
    clips = load_gtzan_clips(data_dir)
    first = clips[clips["path"].map(lambda p: Path(p).stem.endswith(".00000"))]
    assert len(first) == 10  # one clip of each genre
    rows = {}
    for path in first["path"]:
        wave, rate = soundfile.read(path, dtype="float32")
        rows[Path(path).stem + ".wav"] = extract_features(wave, rate)
    ours = pd.DataFrame.from_dict(rows, orient="index")
    return ours, table.loc[ours.index], table


@pytest.mark.data
def test_every_shared_column_but_tempo_agrees_with_the_published_table(
        ours_and_theirs: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    ours, theirs, table = ours_and_theirs
    shared = [c for c in CSV_FEATURES if c != "tempo"]
    # errors in units of the column's spread over all 1,000 clips: near-zero means (harmony_mean) stay meaningful
    error = (ours[shared] - theirs[shared]).abs() / table[shared].std()
    worst = error.max()
    assert (worst < 0.15).all(), worst[worst >= 0.15].to_dict()
    assert float(error.median().median()) < 0.01
    for column in shared:
        assert np.corrcoef(ours[column], theirs[column])[0, 1] > 0.999, column


@pytest.mark.data
def test_tempo_agrees_on_most_clips_and_otherwise_stays_in_range(
        ours_and_theirs: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    ours, theirs, _ = ours_and_theirs
    ratio = ours["tempo"] / theirs["tempo"]
    assert (np.abs(ratio - 1) < 0.01).mean() >= 0.6, ratio.round(2).to_dict()
    assert ours["tempo"].between(30, 300).all()


def test_features_come_in_the_documented_order_and_resample_to_the_table_rate() -> None:
    t = np.arange(16_000 * 2) / 16_000
    tone = (0.3 * np.sin(2 * np.pi * 1_000 * t)).astype(np.float32)
    features = extract_features(tone, 16_000, hpss=False)
    assert tuple(features) == feature_names(hpss=False)
    assert features["spectral_centroid_mean"] == pytest.approx(1_000, rel=0.05)  # in Hz whatever the input rate
    assert features["zero_crossing_rate_mean"] == pytest.approx(2 * 1_000 / FEATURE_SAMPLE_RATE, rel=0.05)
    assert all(np.isfinite(v) for v in features.values())


def test_unusable_audio_is_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="mono"):
        extract_features(np.zeros((2, 4_096), np.float32), FEATURE_SAMPLE_RATE)
    with pytest.raises(ValueError, match="too short"):
        extract_features(np.zeros(100, np.float32), FEATURE_SAMPLE_RATE)
