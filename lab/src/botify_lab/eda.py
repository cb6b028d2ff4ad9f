"""The EDA section: genre popularity by plays and by minutes over a chosen window and period, top tracks per genre
per period, long tails of plays per user and per artist, and the tag and genre vocabularies.

It runs on the HetRec log (population-scale, simulated times), on the Last.fm 1K log (real times, one user), or on
any CSV listening log such as ``botify lab export-listens`` writes from the live ``listens`` topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from botify_datasets.genres import UNKNOWN
from botify_datasets.listening_log import LOG_COLUMNS, ListeningLog
from botify_lab.context import LabContext
from botify_lab.eda_plots import duration_boxes, genre_bars, genre_share_heatmap, long_tail_figure, tag_bars
from botify_lab.genre_popularity import genre_by_period, genre_totals, top_tracks
from botify_lab.long_tail import LongTail, plays_per
from botify_lab.report import Section, markdown_table, save_figure
from botify_lab.time_window import period_of, utc_text
from botify_lab.vocabulary import genre_vocabulary, jamendo_genre_tracks, jamendo_tags, tag_coverage, tag_vocabulary

SOURCES = ("hetrec", "lastfm1k")
SOURCE_NOTES = {
    "hetrec": "HetRec 2011 expanded into dated plays: population-scale (1,892 real users, real relative play "
              "counts), but the **times, durations and played time are simulated** (see the provenance table), so "
              "trends over time are an artefact of the simulation, not a finding.",
    "lastfm1k": "Last.fm 1K sample: **real play times** (UTC), but essentially **one user** (4,997 of 5,000 plays "
                "are user_000001's), so genre shares describe one person's taste, not a population.",
}
_DAY_MS = 86_400_000


@dataclass(frozen=True)
class EdaOptions:
    """What ``botify lab eda`` analyses: a window ``[start_ms, end_ms)``, a calendar period, top-N."""

    start_ms: int | None = None
    end_ms: int | None = None
    period: str | None = None              # None: chosen from the window's span (see auto_period)
    top_n: int = 5
    sources: tuple[str, ...] = SOURCES
    log_file: Path | None = None           # a CSV listening log; replaces ``sources``
    max_table_periods: int = 12            # the top-N table shows the latest periods only; the JSON has all
    max_table_genres: int = 10             # ... and the most played genres only


def auto_period(ts_ms: pd.Series) -> str:
    """The finest period that still gives a readable number of periods for the span of ``ts_ms``."""
    span_days = (int(ts_ms.max()) - int(ts_ms.min())) / _DAY_MS if len(ts_ms) else 0.0
    for period, min_days in (("year", 730), ("month", 60), ("week", 14), ("day", 2)):
        if span_days >= min_days:
            return period
    return "hour"


def provenance_kind(text: str) -> str:
    """Classify a provenance note as real, derived, estimated, simulated or exported."""
    head = text.strip().lower()
    for kind in ("real", "simulated", "estimated", "derived"):
        if head.startswith(kind):
            return kind
    return "as exported" if head.startswith("as exported") else "derived"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "log"


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def _pct(value: float) -> str:
    return f"{value:.1%}"


def load_sources(ctx: LabContext, options: EdaOptions) -> list[tuple[ListeningLog, str]]:
    """The logs to analyse, each with a note on what it can and cannot tell."""
    if options.log_file is not None:
        log = ListeningLog.load(options.log_file)
        return [(log, f"A listening log read from `{options.log_file.name}` (e.g. an export of the live `listens` "
                      "topic): its columns are whatever the producers sent.")]
    unknown = sorted(set(options.sources) - set(SOURCES))
    if unknown:
        raise ValueError(f"unknown sources {unknown}; choose from {list(SOURCES)}")
    return [(ctx.hetrec_log if name == "hetrec" else ctx.lastfm1k_log, SOURCE_NOTES[name])
            for name in options.sources]


def provenance_markdown(log: ListeningLog) -> str:
    rows = [{"column": c, "kind": provenance_kind(log.provenance.get(c, "")), "how": log.provenance.get(c, "?")}
            for c in (*LOG_COLUMNS, *sorted(set(log.provenance) - set(LOG_COLUMNS)))]
    return markdown_table(rows)


def top_tracks_markdown(top: pd.DataFrame, genre_order: list[str], max_periods: int, max_genres: int) -> str:
    """One row per (period, genre): the top tracks with their plays, for the latest ``max_periods`` periods and the
    first ``max_genres`` genres of ``genre_order``."""
    periods = sorted(top["period"].unique())[-max_periods:]
    rank = {g: i for i, g in enumerate(genre_order[:max_genres])}
    shown = top[top["period"].isin(periods) & top["genre"].isin(list(rank))]
    rows = []
    for (period, genre), group in shown.groupby(["period", "genre"], observed=True):
        entries = [f"{rank_}. {title}" + ("" if title == artist else f" — {artist}") + f" ({plays})"
                   for rank_, title, artist, plays in zip(group["rank"], group["title"], group["artist_name"],
                                                          group["plays"], strict=True)]
        rows.append({"period": str(period), "genre": str(genre), "order": rank.get(str(genre), len(rank)),
                     "top tracks (plays)": "; ".join(entries)})
    rows.sort(key=lambda r: (r["period"], r["order"]))
    return markdown_table(rows, ["period", "genre", "top tracks (plays)"])


def log_report(ctx: LabContext, log: ListeningLog, note: str, options: EdaOptions,
               ) -> tuple[str, dict[str, Any], str]:
    """The Markdown, data and one-line summary of one listening log."""
    name = slug(log.source)
    window = log.between(options.start_ms, options.end_ms).frame
    parts = [f"## {log.source}\n", note + "\n", "### Which columns are real\n", provenance_markdown(log) + "\n"]
    if window.empty:
        parts.append("_No plays in the chosen window._\n")
        return "\n".join(parts), {"plays": 0}, f"{log.source}: no plays in the window"
    period = options.period or auto_period(window["ts_ms"])
    first, last = int(window["ts_ms"].min()), int(window["ts_ms"].max())
    span = f"{utc_text(first)} … {utc_text(last)}"
    totals = genre_totals(window)
    overview = {"plays": len(window), "users": window["user_id"].nunique(), "artists": window["artist_id"].nunique(),
                "tracks": window["track_id"].nunique(), "hours listened": f"{window['ms_played'].sum() / 3.6e6:,.1f}",
                "first play": utc_text(first), "last play": utc_text(last), "period": period,
                "periods": int(period_of(window["ts_ms"], period).nunique()),
                "share played < 30% (skips)": _pct(float((window["ms_played"] < 0.3 * window["duration_ms"]).mean()))}
    parts += ["### Overview of the window\n", markdown_table([overview]) + "\n"]
    unknown = float(totals["play_share"].get(UNKNOWN, 0.0))
    if unknown > 0.1:
        parts.append(f"{_pct(unknown)} of plays are of artists with no known genre (`unknown`): every genre share "
                     "below is a share of a log in which they count.\n")

    gap = totals["minute_share"] - totals["play_share"]
    by_minutes = totals.sort_values("minutes", ascending=False)
    summary = (f"{log.source} ({span}): top genre by plays **{totals.index[0]}** "
               f"({_pct(float(totals['play_share'].iloc[0]))}), by minutes **{by_minutes.index[0]}** "
               f"({_pct(float(by_minutes['minute_share'].iloc[0]))}).")
    parts += [
        "### Genre popularity in the window: plays and minutes listened\n",
        f"Window {span}. Minutes are minutes actually listened (`ms_played`), so a genre whose tracks are "
        f"long or rarely skipped gains share by minutes. Largest gain by minutes: **{gap.idxmax()}** "
        f"({gap.max() * 100:+.1f} points); largest loss: **{gap.idxmin()}** ({gap.min() * 100:+.1f} points).\n",
        save_figure(ctx, genre_bars(totals, "plays", f"{log.source}, {span}"), f"eda-{name}-genre-plays"),
        save_figure(ctx, genre_bars(totals, "minutes", f"{log.source}, {span}"), f"eda-{name}-genre-minutes") + "\n",
        markdown_table([{"genre": g, "plays": int(r.plays), "plays %": _pct(r.play_share),
                         "minutes": round(r.minutes), "minutes %": _pct(r.minute_share),
                         "min / play": r.minutes_per_play, "share of length played": _pct(r.played_fraction)}
                        for g, r in totals.iterrows()], floats="{:.2f}") + "\n",
    ]

    by_period = genre_by_period(window, period)
    parts += [f"### Genre shares per {period}\n",
              save_figure(ctx, genre_share_heatmap(by_period, totals.index.tolist(),
                                                   f"{log.source}: genre shares per {period} (UTC)"),
                          f"eda-{name}-genre-periods") + "\n"]

    top = top_tracks(window, period, options.top_n)
    shown = min(options.max_table_periods, int(top["period"].nunique()))
    genres_shown = min(options.max_table_genres, len(totals))
    parts += [f"### Top {options.top_n} tracks per genre per {period}\n",
              f"Ranked by plays (ties: minutes). Shown: the latest {shown} {period}(s) of the window and the "
              f"{genres_shown} most played genres; `{slug(log.source)}` → `top_tracks` in `eda.json` has them all."
              + (" HetRec items are artists, so a \"track\" here is an artist." if log.source.startswith("hetrec")
                 else "") + "\n",
              top_tracks_markdown(top, totals.index.tolist(), options.max_table_periods,
                                  options.max_table_genres) + "\n"]

    users, artists = plays_per(window, "user_id"), plays_per(window, "artist_id")
    tails = {"plays per user (log)": LongTail.of(users), "plays per artist (log)": LongTail.of(artists)}
    parts += ["### Long tail: plays per user and per artist\n",
              save_figure(ctx, long_tail_figure(users, artists, f"{log.source}: plays in the window"),
                          f"eda-{name}-long-tail") + "\n"]
    if log.source.startswith("hetrec") and options.log_file is None:
        real_users = plays_per(ctx.hetrec.plays, "user_id", "weight")
        real_artists = plays_per(ctx.hetrec.plays, "artist_id", "weight")
        tails |= {"plays per user (real all-time counts)": LongTail.of(real_users),
                  "plays per artist (real all-time counts)": LongTail.of(real_artists)}
        parts += ["The simulated log samples the real counts, which flattens the head and cuts the tail (an artist "
                  "played fewer than ~200 times rarely appears); the real all-time counts of `user_artists.dat`:\n",
                  save_figure(ctx, long_tail_figure(real_users, real_artists, "HetRec real all-time play counts"),
                              "eda-hetrec-real-long-tail") + "\n"]
    parts.append(markdown_table([{"distribution": k} | v.row() for k, v in tails.items()], floats="{:.3f}") + "\n")
    art = tails["plays per artist (log)"]
    summary += (f" The top 10% of artists hold {_pct(art.top_10pct_share)} of plays (Gini {art.gini:.2f}).")
    data = {"note": note, "provenance": log.provenance, "overview": overview,
            "genre_totals": totals.reset_index().to_dict("records"),
            "genre_by_period": by_period.assign(period=by_period["period"].astype(str)).to_dict("records"),
            "top_tracks": top.assign(period=top["period"].astype(str)).to_dict("records"),
            "long_tail": {k: v.row() for k, v in tails.items()}}
    return "\n".join(parts), data, summary


def vocabulary_report(ctx: LabContext) -> tuple[str, dict[str, Any]]:
    """Tag vocabulary (HetRec) and genre vocabulary (canonical genres, MTG-Jamendo tags and track lengths)."""
    vocabulary = tag_vocabulary(ctx.hetrec)
    artist_genres = ctx.hetrec.artist_genres()
    coverage = tag_coverage(vocabulary, artist_genres, ctx.hetrec.plays)
    genres = genre_vocabulary(artist_genres, ctx.hetrec.plays, ctx.jamendo)
    jamendo = jamendo_tags(ctx.jamendo)
    unmapped = jamendo.loc[jamendo["genre"].isna(), "tag"].tolist()
    parts = [
        "## Vocabularies\n", "### HetRec tags\n",
        f"HetRec users applied {coverage['tags_used']:,} distinct tags; only {coverage['genre_tags']} of them "
        f"({_pct(coverage['share_of_tags_that_are_genres'])}) map to one of Botify's canonical genres "
        "(`botify_datasets.genres`), yet they carry "
        f"{_pct(coverage['share_of_assignments_to_genre_tags'])} of all tag assignments. "
        f"{_pct(coverage['share_of_artists_with_a_genre'])} of artists get a genre, and they account for "
        f"{_pct(coverage['share_of_plays_to_artists_with_a_genre'])} of real plays.\n",
        save_figure(ctx, tag_bars(vocabulary, 30), "eda-hetrec-tags") + "\n",
        "### Canonical genres\n",
        "Per genre: how many tag spellings map to it, HetRec artists whose most-tagged genre it is and their share "
        "of the real all-time plays, MTG-Jamendo tracks carrying it (multi-label) and their median length.\n",
        markdown_table([{**r, "hetrec_play_share": _pct(r["hetrec_play_share"])} for r in records(genres)],
                       floats="{:.2f}") + "\n",
        "### MTG-Jamendo genre tags\n",
        f"{len(jamendo)} tags; {len(jamendo) - len(unmapped)} map to a canonical genre; not mapped "
        f"(not genres in Botify's vocabulary): {', '.join(unmapped) or 'none'}.\n",
        markdown_table([{**r, "genre": r["genre"] or "—"} for r in records(jamendo.head(30))],
                       floats="{:.2f}") + "\n",
        f"(top 30 of {len(jamendo)} shown; all in `eda.json`)\n",
        save_figure(ctx, duration_boxes(jamendo_genre_tracks(ctx.jamendo)), "eda-jamendo-durations") + "\n",
    ]
    data = {"tag_coverage": coverage, "top_tags": vocabulary.head(100).to_dict("records"),
            "genre_vocabulary": genres.to_dict("records"), "jamendo_tags": jamendo.to_dict("records")}
    return "\n".join(parts), data


def eda_section(ctx: LabContext, options: EdaOptions) -> Section:
    """Run the EDA on the chosen logs (and, for the datasets, the vocabularies)."""
    window = ("the whole of each log" if options.start_ms is None and options.end_ms is None else
              " … ".join(utc_text(t) if t is not None else "open" for t in (options.start_ms, options.end_ms))
              + " (UTC, end exclusive)")
    parts = [
        "Genre popularity by **number of plays** and by **minutes listened**, top tracks per genre per period, and "
        f"the long tail of plays, per listening log. Window: {window}. Periods are calendar periods of the event "
        "time in UTC.\n"]
    data: dict[str, Any] = {"options": {"start_ms": options.start_ms, "end_ms": options.end_ms,
                                        "period": options.period, "top_n": options.top_n}}
    summaries = []
    logs = load_sources(ctx, options)
    parts += ["## Which columns are real, derived or simulated\n",
              "No staged dataset has per-play times, genres and durations together, so each log mixes real columns "
              "with derived or simulated ones (details under each log):\n",
              markdown_table([{"column": c} | {log.source: provenance_kind(log.provenance.get(c, "?"))
                                               for log, _ in logs} for c in LOG_COLUMNS]) + "\n"]
    for log, note in tqdm(logs, desc="eda: logs", unit="log"):
        markdown, log_data, summary = log_report(ctx, log, note, options)
        parts.append(markdown)
        data[slug(log.source)] = log_data
        summaries.append(summary)
    if options.log_file is None:
        markdown, data["vocabulary"] = vocabulary_report(ctx)
        parts.append(markdown)
    return Section("eda", "EDA: genre popularity, top tracks, long tails, vocabularies", "\n".join(parts),
                   summary="\n\n".join(summaries), data=data)


def run(ctx: LabContext) -> Section:
    """The report's EDA section: both dataset logs over their whole span."""
    return eda_section(ctx, EdaOptions())
