"""The genre section: the classical classifier (handcrafted librosa features, calibrated scikit-learn model) against
the CNN on log-mel spectrograms, on the same leakage-aware splits, with calibration and audio-neighbour quality.

Two data sets: GTZAN's published feature table (1,000 clips; only the classical model can read it) and the 100 GTZAN
audio clips (both models, head to head, on the same splits). ``botify lab genre`` or ``botify lab report --only
genre``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from botify_audio.classical import CLASSIFIERS, DEFAULT_KIND, train_classical, train_on_gtzan_csv
from botify_audio.decode import segment_starts
from botify_audio.embedder import LogMelStatsEmbedder
from botify_audio.features import CSV_FEATURES, HPSS_COLUMNS, feature_names
from botify_audio.training import TrainConfig
from botify_core.settings import PathSettings
from botify_datasets.gtzan import GTZAN_GENRES, load_gtzan_features
from botify_lab.context import LabContext
from botify_lab.genre_audio import (
    AudioClips,
    clip_features,
    cnn_fold,
    decode_clips,
    select_clips,
    steady_feature_seconds,
)
from botify_lab.genre_leakage import Split, duplicate_groups, grouped_splits, index_blocks, nearest_distances
from botify_lab.genre_metrics import ReliabilityBin, precision_at_k, reliability_bins, scores
from botify_lab.genre_plots import confusion_figure, nearest_distance_figure, reliability_figure
from botify_lab.recsys.source_lines import code_lines
from botify_lab.report import Section, markdown_table, save_figure

METRICS = ("accuracy", "macro_f1", "log_loss", "ece")
CLASSICAL_MODULES = ("botify_audio.features", "botify_audio.classical")
CNN_MODULES = ("botify_audio.model", "botify_audio.spectrogram", "botify_audio.training")


@dataclass(frozen=True)
class GenreConfig:
    csv_per_genre: int | None       # rows of the table per genre (None: all 100)
    csv_kinds: tuple[str, ...]      # classical models compared on the table
    csv_repeats: int                # repeats of the k-fold split on the table
    folds: int
    clips_per_genre: int | None     # audio clips per genre (None: all 10)
    clip_seconds: float | None      # None: whole clips
    hpss: bool                      # harmony/perceptr features from our extractor (1.2 s a clip)
    cnn: TrainConfig
    workers: int                    # processes extracting features
    duplicate_threshold: float = 0.5   # standardised-feature distance under which two clips are one recording
    block_size: int = 10            # consecutive excerpt numbers grouped as a proxy for one artist
    neighbours: int = 10

    @classmethod
    def for_context(cls, ctx: LabContext) -> GenreConfig:
        if ctx.fast:
            return cls(csv_per_genre=30, csv_kinds=("logistic", DEFAULT_KIND), csv_repeats=1, folds=3,
                       clips_per_genre=3, clip_seconds=8.0, hpss=False, workers=1,
                       cnn=TrainConfig(epochs=2, segments_per_clip=2, val_fraction=0.0, threads=1, max_segments=2,
                                       data_name="GTZAN mini (fast subsample)"))
        # sized for a shared 2-core machine: gradient boosting (25 s a calibrated fit) is left out, and the CNN
        # trains 10 epochs a fold instead of the worker's 30 (a 30-epoch fold took 16 minutes under load here)
        return cls(csv_per_genre=None, csv_kinds=("logistic", DEFAULT_KIND, "svm"), csv_repeats=3,
                   folds=5, clips_per_genre=None, clip_seconds=None, hpss=True, workers=2,
                   cnn=TrainConfig(epochs=10, val_fraction=0.0, threads=2, data_name="GTZAN mini (one fold)"))


@dataclass
class ModelRun:
    """One model over a list of splits: scores per split, pooled test predictions, costs."""

    name: str
    genres: tuple[str, ...]
    per_split: list[dict[str, Any]] = field(default_factory=list)
    truth: list[str] = field(default_factory=list)          # pooled over splits, in the order predicted
    probabilities: list[np.ndarray] = field(default_factory=list)
    train_seconds: list[float] = field(default_factory=list)
    predict_seconds_per_clip: list[float] = field(default_factory=list)
    first_repeat_splits: int = 0                              # how many splits test each clip exactly once

    def add(self, truth: Sequence[str], probabilities: np.ndarray, train_s: float, predict_s: float) -> None:
        self.per_split.append(scores(self.genres, truth, probabilities))
        self.truth += list(truth)
        self.probabilities.append(probabilities)
        self.train_seconds.append(train_s)
        self.predict_seconds_per_clip.append(predict_s)

    def summary(self, metric: str) -> tuple[float, float]:
        values = [s[metric] for s in self.per_split]
        return float(np.mean(values)), float(np.std(values))

    def row(self) -> dict[str, Any]:
        row: dict[str, Any] = {"model": self.name}
        for metric in METRICS:
            mean, spread = self.summary(metric)
            row[metric.replace("_", "-")] = f"{mean:.3f} ± {spread:.3f}"
        row["train s"] = f"{np.mean(self.train_seconds):.2f}"
        return row

    def pooled(self) -> tuple[np.ndarray, np.ndarray]:
        index = {g: i for i, g in enumerate(self.genres)}
        return np.concatenate(self.probabilities), np.array([index[t] for t in self.truth])

    def reliability(self) -> list[ReliabilityBin]:
        return reliability_bins(*self.pooled())

    def confusion(self) -> np.ndarray:
        """Counts over the first repeat's splits (each clip tested once), rows true, columns predicted."""
        splits = self.first_repeat_splits or len(self.per_split)
        counts: np.ndarray = np.sum([np.array(s["confusion"]) for s in self.per_split[:splits]], axis=0)
        return counts

    def data(self) -> dict[str, Any]:
        return {"name": self.name, "mean": {m: self.summary(m)[0] for m in METRICS},
                "std": {m: self.summary(m)[1] for m in METRICS}, "splits": len(self.per_split),
                "train_seconds": float(np.mean(self.train_seconds)),
                "predict_seconds_per_clip": float(np.mean(self.predict_seconds_per_clip)),
                "per_split": [{k: v for k, v in s.items() if k != "confusion"} for s in self.per_split],
                "confusion": self.confusion().tolist(),
                "reliability": [vars(b) for b in self.reliability()]}


def classical_run(name: str, x: np.ndarray, labels: Sequence[str], names: Sequence[str], splits: Sequence[Split],
                  kind: str, seed: int, first_repeat: int) -> ModelRun:
    run = ModelRun(name, tuple(sorted(set(labels))), first_repeat_splits=first_repeat)
    y = np.asarray(labels)
    for train_rows, test_rows in splits:
        started = time.perf_counter()
        model = train_classical(x[train_rows], list(y[train_rows]), names, kind=kind, seed=seed)
        trained = time.perf_counter() - started
        started = time.perf_counter()
        probabilities = model.predict_proba(x[test_rows])
        run.add(list(y[test_rows]), probabilities, trained, (time.perf_counter() - started) / len(test_rows))
    return run


# --------------------------------------------------------------------------------------------------- the table

@dataclass
class TableStudy:
    rows: int
    distances: np.ndarray
    links: list[dict[str, Any]]
    models: list[ModelRun]
    leakage: list[ModelRun]
    precision: float


def table_study(ctx: LabContext, config: GenreConfig) -> TableStudy:
    table = load_gtzan_features(ctx.data_dir, verify=ctx.verify)
    if config.csv_per_genre is not None:
        table = table.groupby("label", sort=False).head(config.csv_per_genre).reset_index(drop=True)
    x = table[list(CSV_FEATURES)].to_numpy()
    labels = table["label"].astype(str).tolist()
    names = table["filename"].astype(str).tolist()
    standardised = StandardScaler().fit_transform(x)
    distances, _ = nearest_distances(standardised)
    duplicates, links = duplicate_groups(standardised, config.duplicate_threshold)
    link_rows = [{"a": names[i], "b": names[j], "distance": d, "same label": labels[i] == labels[j]}
                 for i, j, d in links]
    split_kinds = {
        "random (stratified)": np.arange(len(labels)),
        "repeats kept together": duplicates,
        f"blocks of {config.block_size} excerpts kept together": index_blocks(names, config.block_size),
    }
    splits = {kind: grouped_splits(labels, groups, config.folds, config.csv_repeats, ctx.seed)
              for kind, groups in split_kinds.items()}
    fair = splits["repeats kept together"]
    models = []
    for kind in tqdm(config.csv_kinds, desc="genre: table models", unit="model"):
        # gradient boosting is 20x slower to fit than the others: one repeat of the folds
        chosen = fair[:config.folds] if kind == "boosting" else fair
        models.append(classical_run(f"{kind} (table)", x, labels, CSV_FEATURES, chosen, kind, ctx.seed, config.folds))
    leakage = [classical_run(f"{DEFAULT_KIND}, {split}", x, labels, CSV_FEATURES, chosen[:config.folds],
                             DEFAULT_KIND, ctx.seed, config.folds)
               for split, chosen in tqdm(splits.items(), desc="genre: leakage", unit="split kind")]
    return TableStudy(len(labels), distances, link_rows, models, leakage,
                      precision_at_k(standardised, np.asarray(labels), config.neighbours))


# --------------------------------------------------------------------------------------------------- the audio

@dataclass
class AudioStudy:
    clips: AudioClips
    classical: ModelRun
    cnn: ModelRun
    precision: dict[str, float]
    transfer: dict[str, Any]
    agreement: list[dict[str, Any]]
    feature_seconds: float          # per clip, warm, with the configured HPSS choice
    fallback_feature_seconds: float  # per clip, warm, without HPSS (the worker's fallback embedder)
    decode_seconds: float
    duplicate_links: int


def _segments(wave: np.ndarray, config: TrainConfig) -> np.ndarray:
    length = config.segment_samples
    starts = segment_starts(len(wave), length, config.max_segments)
    return np.stack([np.pad(wave[s:s + length], (0, max(0, length - len(wave[s:s + length])))) for s in starts])


def agreement_rows(ours: pd.DataFrame, table: pd.DataFrame) -> list[dict[str, Any]]:
    """Per shared column: error in units of the column's spread over the whole table, and correlation."""
    theirs = table.set_index("filename").loc[ours.index]
    spread = table[list(CSV_FEATURES)].std()
    rows = []
    for column in CSV_FEATURES:
        if column not in ours:
            continue
        error = (ours[column] - theirs[column]).abs() / spread[column]
        rows.append({"column": column, "median error (x column std)": float(error.median()),
                     "max error (x column std)": float(error.max()),
                     "correlation": float(np.corrcoef(ours[column], theirs[column])[0, 1]),
                     "same value (within 1%)": float((np.abs(ours[column] / theirs[column] - 1) < 0.01).mean())})
    return rows


def audio_study(ctx: LabContext, config: GenreConfig) -> AudioStudy:
    clips = select_clips(ctx.data_dir, config.clips_per_genre, config.clip_seconds, verify=ctx.verify)
    features, _ = clip_features(clips, hpss=config.hpss, workers=config.workers,
                                cache_dir=None if ctx.fast else PathSettings().var_dir / "lab")
    feature_seconds = steady_feature_seconds(clips, hpss=config.hpss, n=1 if ctx.fast else 4)
    fallback_seconds = steady_feature_seconds(clips, hpss=False, n=1 if ctx.fast else 4) if config.hpss \
        else feature_seconds
    names = feature_names(hpss=config.hpss)
    x = features[list(names)].to_numpy()
    labels = clips.labels
    y = np.asarray(labels)
    standardised = StandardScaler().fit_transform(x)
    groups, links = duplicate_groups(standardised, config.duplicate_threshold)
    splits = grouped_splits(labels, groups, config.folds, 1, ctx.seed)

    classical = classical_run(f"classical ({DEFAULT_KIND} on our features)", x, labels, names, splits,
                              DEFAULT_KIND, ctx.seed, len(splits))
    waves, decode_seconds = decode_clips(clips, config.cnn.sample_rate)
    cnn = ModelRun("CNN (log-mel)", tuple(sorted(set(labels))), first_repeat_splits=len(splits))
    untrained = LogMelStatsEmbedder(config.cnn.embedding_dim, config.cnn.sample_rate, config.cnn.segment_seconds)
    logmel_vectors, _ = untrained.embed_batch([_segments(w, config.cnn) for w in waves])
    precision: dict[str, list[float]] = {"handcrafted features (standardised)": [], "CNN embedding": [],
                                         f"untrained log-mel statistics ({untrained.version})": []}
    for fold, (train_rows, test_rows) in enumerate(tqdm(splits, desc="genre: CNN folds", unit="fold")):
        result = cnn_fold(waves, labels, train_rows, test_rows,
                          replace(config.cnn, version=f"lab-genre-fold{fold}"), ctx.seed + fold)
        cnn.add(list(y[test_rows]), result.probabilities, result.train_seconds, result.predict_seconds_per_clip)
        scaler = StandardScaler().fit(x[train_rows])
        for name, vectors in zip(precision, (scaler.transform(x), result.embeddings, logmel_vectors), strict=True):
            precision[name].append(precision_at_k(vectors, y, config.neighbours, test_rows))

    table = load_gtzan_features(ctx.data_dir, verify=ctx.verify)
    usable = tuple(n for n in CSV_FEATURES if config.hpss or n not in HPSS_COLUMNS)
    transfer_model = train_on_gtzan_csv(table, hpss=config.hpss, seed=ctx.seed, exclude=clips.filenames)
    transfer_probabilities = transfer_model.predict_proba(features[list(usable)].to_numpy())
    transfer_scores = scores(transfer_model.genres, labels, transfer_probabilities)
    transfer = {"train_rows": int((~table["filename"].isin(clips.filenames)).sum()),
                **{m: transfer_scores[m] for m in METRICS}}
    return AudioStudy(clips, classical, cnn, {k: float(np.mean(v)) for k, v in precision.items()}, transfer,
                      agreement_rows(features, table) if config.clip_seconds is None else [],
                      feature_seconds, fallback_seconds, decode_seconds, len(links))


# --------------------------------------------------------------------------------------------------- the page

def _verdict(audio: AudioStudy, costs: dict[str, dict[str, float]]) -> str:
    (c_acc, c_sd), (n_acc, n_sd) = audio.classical.summary("accuracy"), audio.cnn.summary("accuracy")
    c_ll, n_ll = audio.classical.summary("log_loss")[0], audio.cnn.summary("log_loss")[0]
    gap = n_acc - c_acc
    noise = math.hypot(c_sd, n_sd) / math.sqrt(max(1, len(audio.cnn.per_split)))
    if abs(gap) <= 2 * noise:
        who = (f"Neither wins clearly on accuracy: the CNN's {n_acc:.2f} and the classical model's {c_acc:.2f} "
               f"differ by {abs(gap):.2f}, within twice the standard error of the difference ({noise:.2f})")
    else:
        better, worse = ("the CNN", "the classical model") if gap > 0 else ("the classical model", "the CNN")
        who = (f"On the same {len(audio.cnn.per_split)} splits of the audio clips, {better} wins on accuracy "
               f"({max(n_acc, c_acc):.2f} against {min(n_acc, c_acc):.2f}, a gap of {abs(gap):.2f} beyond twice "
               f"the standard error {noise:.2f}) over {worse}")
    calibrated = "classical model" if c_ll < n_ll else "CNN"
    cost = (f"The cost: the CNN trains in {costs['cnn']['train_s']:.0f} s per fold against "
            f"{costs['classical']['train_s']:.1f} s, and takes {costs['cnn']['infer_ms']:.0f} ms per clip "
            f"(decode + log-mel + network) against {costs['classical']['infer_ms']:.0f} ms (decode + librosa "
            f"features + model; {costs['classical']['fallback_infer_ms']:.0f} ms without the HPSS features, as the "
            f"worker's fallback runs), in {costs['cnn']['lines']:.0f} against {costs['classical']['lines']:.0f} "
            "lines of code")
    folds = len(audio.cnn.per_split)
    genres = len(set(audio.clips.labels))
    per_genre = len(audio.clips.labels) / genres * (folds - 1) / folds
    data = (f"with {per_genre:.0f} training clips per genre the CNN learns its features from "
            f"{per_genre * genres:.0f} examples (random segments and augmentation add views, not musical variety), "
            "while the handcrafted features carry decades of knowledge about timbre (MFCCs, spectral shape) and "
            "need only a small calibrated model on top")
    if gap > 2 * noise:
        why = (f"Why: even so, {data}, the CNN sees the whole time-frequency picture (rhythm patterns, onsets, "
               "how timbre changes) that clip-level means and variances average away.")
    else:
        why = (f"Why: {data}. The table below shows what ten times the data does for the classical model; a CNN "
               "needs far more clips (or pretraining) than this subset to learn better features than MFCCs.")
    return f"{who}; the {calibrated} has the lower log-loss. {cost}. {why}"


def _costs(audio: AudioStudy) -> dict[str, dict[str, float]]:
    return {
        "classical": {"train_s": float(np.mean(audio.classical.train_seconds)),
                      "infer_ms": 1000 * (audio.feature_seconds
                                          + float(np.mean(audio.classical.predict_seconds_per_clip))),
                      "fallback_infer_ms": 1000 * (audio.fallback_feature_seconds
                                                   + float(np.mean(audio.classical.predict_seconds_per_clip))),
                      "lines": float(sum(code_lines(m) for m in CLASSICAL_MODULES))},
        "cnn": {"train_s": float(np.mean(audio.cnn.train_seconds)),
                "infer_ms": 1000 * (audio.decode_seconds + float(np.mean(audio.cnn.predict_seconds_per_clip))),
                "lines": float(sum(code_lines(m) for m in CNN_MODULES))},
    }


def run(ctx: LabContext) -> Section:
    """Classical vs CNN genre classification on GTZAN, with calibration, leakage-aware splits and neighbours."""
    config = GenreConfig.for_context(ctx)
    with threadpool_limits(limits=1):  # small problems: threads cost more than they bring on a shared machine
        table = table_study(ctx, config)
        audio = audio_study(ctx, config)
    costs = _costs(audio)
    head_models = [audio.classical, audio.cnn]
    headline = [{**m.row(), "P@10 of neighbours": audio.precision["handcrafted features (standardised)" if m is
                                                                   audio.classical else "CNN embedding"],
                 "inference ms/clip": costs["classical" if m is audio.classical else "cnn"]["infer_ms"],
                 "lines of code": int(costs["classical" if m is audio.classical else "cnn"]["lines"])}
                for m in head_models]
    verdict = _verdict(audio, costs)
    best_table = max(table.models, key=lambda m: m.summary("accuracy")[0])
    n_clips = len(audio.clips.labels)
    exact = sum(1 for link in table.links if link["distance"] < 1e-6)
    cross = [f"{link['a']} = {link['b']}" for link in table.links if not link["same label"]]

    parts = [
        f"GTZAN genre classification with probabilities, two ways: **classical** (our librosa features, "
        f"`botify_audio.features`, and a scaler + {DEFAULT_KIND} model with temperature-calibrated probabilities, "
        "`botify_audio.classical`) and the **CNN** on log-mel spectrograms (`botify_audio.training`, the model the "
        "audio worker serves). The head-to-head runs on the "
        f"{n_clips} audio clips of `gtzan-mini-audio` with the same splits for both; the published 1,000-clip "
        "feature table adds what the classical model does with ten times the data. Splits are stratified by genre "
        "and keep repeated recordings on one side (see *GTZAN's faults*).\n",
        "## Head to head on the same splits\n",
        f"{len(audio.cnn.per_split)}-fold stratified split of {n_clips} clips"
        f"{f' (first {config.clip_seconds:g} s of each)' if config.clip_seconds else ''}; mean ± standard deviation "
        f"over folds. P@10: share of each test clip's {config.neighbours} nearest clips (cosine, among all "
        f"{n_clips - 1} others) that share its genre; with {n_clips // 10} clips a genre the ceiling is "
        f"{min(1.0, (n_clips // 10 - 1) / config.neighbours):.1f}. Inference is per clip on this machine, decoding "
        f"included. CNN: {config.cnn.epochs} epochs, {config.cnn.segment_seconds:g}-s segments, "
        f"{config.cnn.segments_per_clip} random segments per clip per epoch, augmentation on"
        + (f" (the worker's `botify audio train` runs {TrainConfig().epochs} epochs; {config.cnn.epochs} here keep "
           "the section's time on a shared 2-core machine, so the CNN's figures are, if anything, a lower bound)"
           if config.cnn.epochs < TrainConfig().epochs else "") + ".\n",
        markdown_table(headline, floats="{:.3f}") + "\n",
        f"**Verdict.** {verdict}\n",
        "Audio-neighbour quality of each embedding (P@10, same splits):\n",
        markdown_table([{"embedding": k, "P@10": v} for k, v in audio.precision.items()], floats="{:.3f}") + "\n",
        save_figure(ctx, confusion_figure([(m.name, m.confusion()) for m in head_models], GTZAN_GENRES),
                    "genre-confusion-audio") + "\n",
        "## Calibration\n",
        "Expected calibration error (ECE): predictions binned by confidence (10 bins), the gap between confidence "
        "and accuracy averaged with the bins' weights; 0 is perfect. Temperature scaling is fitted on out-of-fold "
        "decision values of the training clips only. An SVM's one-vs-rest votes calibrate poorly even so (table "
        "below). While building this, one-vs-rest sigmoids (scikit-learn's default) renormalised over ten genres "
        "made the SVM far too timid (mean confidence 0.42 at accuracy 0.70 on the table): hence temperature "
        "scaling.\n",
        save_figure(ctx, reliability_figure({m.name: m.reliability() for m in
                                             [*head_models, best_table]}), "genre-reliability") + "\n",
        "## The classical model with ten times the data (the 1,000-clip table)\n",
        f"{table.rows} clips of `features_30_sec.csv`, {config.csv_repeats} x {config.folds}-fold stratified "
        "splits keeping repeats together" + (" (gradient boosting: one repeat, it fits 20x slower)" if "boosting"
                                             in config.csv_kinds else "") + ". Train seconds are per fit, "
        "calibration included.\n",
        markdown_table([m.row() for m in table.models]) + "\n",
        save_figure(ctx, confusion_figure([(f"{best_table.name} on the table", best_table.confusion())],
                                          GTZAN_GENRES), "genre-confusion-table") + "\n",
        f"P@10 of same-genre neighbours in the standardised table features: {table.precision:.3f} (ceiling 1.0).\n",
        "Trained on the table without the mini clips "
        f"({audio.transfer['train_rows']} rows) and applied to our extractor's features of the {n_clips} audio clips"
        " (what the worker's fallback embedder does): "
        + ", ".join(f"{m.replace('_', '-')} {audio.transfer[m]:.3f}" for m in METRICS) + ".\n",
        "## GTZAN's faults and how the splits avoid leakage\n",
        "GTZAN has no artist metadata; Sturm (2013, *The GTZAN dataset: its contents, its faults, their effects on "
        "evaluation, and its future use*) documents exact and near repetitions of excerpts, mislabelled excerpts, "
        "distortions and heavy artist repetition inside genres. What we can check here without his annotations:\n",
        f"- **Repeats.** Clips whose standardised features lie within {config.duplicate_threshold:g} of each other "
        f"(the median clip's nearest neighbour is {np.median(table.distances):.2f} away) are one recording: "
        f"{len(table.links)} linked pair(s) in the table, {exact} of them identical to the last digit"
        + (f", including cross-genre repeats ({', '.join(cross)}), i.e. one recording with two labels"
           if cross else "") + f". The audio subset has {audio.duplicate_links} such pair(s). Every split keeps "
        "linked clips on one side.\n",
        f"- **Artists.** GTZAN's excerpts were collected album by album, so consecutive numbers often share an "
        f"artist. Keeping blocks of {config.block_size} consecutive excerpts on one side is a proxy for an artist "
        f"filter; the drop from a random split to it measures how much artist leakage flatters the scores (one "
        f"repeat of {config.folds} folds each):\n",
        markdown_table([m.row() for m in table.leakage]) + "\n",
        "- **The mini subset** is excerpts 0-9 of each genre (jazz: 0-2, 4-8, 11 and 12), i.e. about one block "
        "per genre: it likely holds few artists per genre, so the head-to-head above cannot filter artists at all "
        "and its absolute figures are optimistic for both models alike. The classical model trained on the "
        f"table's other {audio.transfer['train_rows']} clips (other excerpt blocks) scores "
        f"{audio.transfer['accuracy']:.2f} on these clips against {audio.classical.summary('accuracy')[0]:.2f} in "
        "the folds inside the subset: the fairer estimate of accuracy on unseen artists is the lower one, in line "
        "with the blocked split above. The ranking of the two models, not their level, is what the head-to-head "
        "shows.\n",
        save_figure(ctx, nearest_distance_figure(table.distances, config.duplicate_threshold),
                    "genre-nearest-distances") + "\n",
        markdown_table(table.links, floats="{:.3f}") + "\n",
    ]
    if audio.agreement:
        parts += [
            "## Our extractor against the published table\n",
            f"Our features of the {n_clips} clips against the table's rows for the same files (the same GTZAN "
            "version: lengths match). Errors are in units of the column's standard deviation over the 1,000 clips, "
            "so near-zero means (harmony, perceptr) stay comparable. Everything but tempo agrees to rounding; "
            "tempo differs where librosa's estimator (0.11 here) picks another metrical level or peak than the "
            "version that built the table (x2, x1.5, ...).\n",
            markdown_table(audio.agreement, floats="{:.4f}") + "\n"]
    data = {
        "config": {k: v for k, v in vars(config).items() if k != "cnn"}, "cnn_config": vars(config.cnn),
        "head_to_head": {"classical": audio.classical.data(), "cnn": audio.cnn.data(),
                         "precision_at_10": audio.precision, "costs": costs},
        "table": {"rows": table.rows, "models": [m.data() for m in table.models],
                  "leakage": [m.data() for m in table.leakage], "precision_at_10": table.precision,
                  "duplicate_links": table.links},
        "transfer": audio.transfer, "extractor_agreement": audio.agreement, "classifiers": sorted(CLASSIFIERS),
    }
    c, n = audio.classical, audio.cnn
    summary = markdown_table([
        {"model": m.name, "accuracy": f"{m.summary('accuracy')[0]:.2f} ± {m.summary('accuracy')[1]:.2f}",
         "macro-F1": f"{m.summary('macro_f1')[0]:.2f}", "log-loss": f"{m.summary('log_loss')[0]:.2f}",
         "ECE": f"{m.summary('ece')[0]:.2f}"} for m in (c, n, best_table)]) + "\n\n" + verdict
    return Section("genre", "Genre classification: classical features vs CNN", "\n".join(parts), summary=summary,
                   data=data)
