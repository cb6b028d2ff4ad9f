"""``botify lab ...``: regenerate the lab's reports."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from botify_lab.context import DOCS_DIR

# Every command imports what it runs (models, plotting) inside itself: `botify` loads this module for any command,
# and importing the lab's sections up front would cost seconds.

app = typer.Typer(help="Research reports on the real datasets under BOTIFY_DATA_DIR.", no_args_is_help=True)

Fast = Annotated[bool, typer.Option("--fast", help="a small subsample, for a quick check (as the tests run it)")]
Out = Annotated[Path, typer.Option("--out", help="where the Markdown and figures go")]


@app.command()
def report(fast: Fast = False, out: Out = DOCS_DIR,
           only: Annotated[list[str] | None, typer.Option(help="run only these sections")] = None) -> None:
    """Regenerate every section of the report, then the index page."""
    from botify_lab.context import LabContext
    from botify_lab.report import write_index, write_section
    from botify_lab.sections import SECTIONS

    names = only or list(SECTIONS)
    unknown = sorted(set(names) - set(SECTIONS))
    if unknown:
        raise typer.BadParameter(f"unknown sections {unknown}; choose from {list(SECTIONS)}")
    ctx = LabContext(out_dir=out, fast=fast)
    sections = []
    for name in names:
        started = time.perf_counter()
        section = SECTIONS[name](ctx)
        write_section(ctx, section, f"botify lab report --only {name}{' --fast' if fast else ''}")
        typer.echo(f"{name}: {time.perf_counter() - started:.0f} s -> {out / section.slug}.md")
        sections.append(section)
    if only is None:
        typer.echo(f"index: {write_index(ctx, sections)}")


@app.command()
def eda(start: Annotated[str | None, typer.Option("--from", help="first instant, ISO date (UTC), inclusive")] = None,
        end: Annotated[str | None, typer.Option("--to", help="last instant, ISO date (UTC), exclusive")] = None,
        period: Annotated[str | None, typer.Option(
            help="year, quarter, month, week, day or hour (default: from the window's span)")] = None,
        top_n: Annotated[int, typer.Option("--top-n", min=1, help="tracks per genre per period")] = 5,
        log: Annotated[Path | None, typer.Option(
            "--log", exists=True, dir_okay=False, help="a CSV listening log, e.g. from export-listens")] = None,
        source: Annotated[list[str] | None, typer.Option(
            help="hetrec and/or lastfm1k (default: both); ignored with --log")] = None,
        out: Out = DOCS_DIR, fast: Fast = False) -> None:
    """Genre popularity by plays and minutes, top-N per genre per period, long tails, vocabularies."""
    from botify_lab.context import LabContext
    from botify_lab.eda import SOURCES, EdaOptions, eda_section
    from botify_lab.report import write_section
    from botify_lab.time_window import PERIODS, parse_instant

    if period is not None and period not in PERIODS:
        raise typer.BadParameter(f"unknown period {period!r}; choose from {list(PERIODS)}", param_hint="--period")
    if set(source or ()) - set(SOURCES):
        raise typer.BadParameter(f"choose sources from {list(SOURCES)}", param_hint="--source")
    try:
        window = [parse_instant(t) if t else None for t in (start, end)]
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--from/--to") from exc
    options = EdaOptions(start_ms=window[0], end_ms=window[1], period=period, top_n=top_n,
                         sources=tuple(source) if source else SOURCES, log_file=log)
    ctx = LabContext(out_dir=out, fast=fast)
    started = time.perf_counter()
    section = eda_section(ctx, options)
    given = {"--from": start, "--to": end, "--period": period, "--log": log}
    command = " ".join(["botify lab eda", *(f"{k} {v}" for k, v in given.items() if v is not None),
                        *(f"--source {s}" for s in source or ()), f"--top-n {top_n}", "--fast" * fast])
    path = write_section(ctx, section, command.strip())
    typer.echo(f"eda: {time.perf_counter() - started:.0f} s -> {path}")


@app.command("export-listens")
def export_listens_command(
        out: Annotated[Path, typer.Option("--out", dir_okay=False, help="the CSV listening log to write")]) -> None:
    """Snapshot the `listens` topic joined to `tracks` into a CSV listening log (for `botify lab eda --log`)."""
    import asyncio

    from botify_core.settings import KafkaSettings
    from botify_lab.export import ExportError, export_listens

    try:
        summary = asyncio.run(export_listens(KafkaSettings(), out))
    except ExportError as exc:
        typer.echo(f"export-listens: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(summary.describe())


@app.command()
def clusters(out: Out = DOCS_DIR, fast: Fast = False) -> None:
    """Cluster HetRec users by taste (k-means, Gaussian mixture, HDBSCAN); choose k; map and describe clusters."""
    from botify_lab.clusters import run
    from botify_lab.context import LabContext
    from botify_lab.report import write_section

    ctx = LabContext(out_dir=out, fast=fast)
    started = time.perf_counter()
    path = write_section(ctx, run(ctx), f"botify lab clusters{' --fast' if fast else ''}")
    typer.echo(f"clusters: {time.perf_counter() - started:.0f} s -> {path}")


@app.command()
def prequential(out: Out = DOCS_DIR, fast: Fast = False) -> None:
    """Replay 30Music and HetRec test-then-train through the streaming models, beside batch ALS refitted at
    checkpoints; check online user clustering against the offline clusters (same as `report --only prequential`)."""
    from botify_lab.context import LabContext
    from botify_lab.prequential import run
    from botify_lab.report import write_section

    ctx = LabContext(out_dir=out, fast=fast)
    started = time.perf_counter()
    path = write_section(ctx, run(ctx), f"botify lab prequential{' --fast' if fast else ''}")
    typer.echo(f"prequential: {time.perf_counter() - started:.0f} s -> {path}")


@app.command("eval")
def eval_recommenders(
        out: Out = DOCS_DIR, fast: Fast = False,
        model: Annotated[list[str] | None, typer.Option(
            help="only these models, printed as a table (nothing is written)")] = None) -> None:
    """Compare the recommenders (classical, neural, streaming) under one protocol; writes the recommenders page
    and results.json (the same run as `report --only recommenders`)."""
    from botify_lab.context import LabContext
    from botify_lab.recsys import section
    from botify_lab.recsys.evaluation import run_evaluation
    from botify_lab.report import markdown_table, write_section

    ctx = LabContext(out_dir=out, fast=fast)
    started = time.perf_counter()
    if model:
        rows = run_evaluation(ctx, model).rows
        typer.echo(markdown_table([{k: r[k] for k in section.RESULT_KEYS} for r in rows]))
        return
    path = write_section(ctx, section.run(ctx), f"botify lab eval{' --fast' if fast else ''}")
    typer.echo(f"recommenders: {time.perf_counter() - started:.0f} s -> {path}")


@app.command()
def genre(out: Out = DOCS_DIR, fast: Fast = False) -> None:
    """Genre classification on GTZAN: classical features vs the CNN on the same splits, calibration, leakage,
    audio-neighbour quality (the same run as `report --only genre`)."""
    from botify_lab.context import LabContext
    from botify_lab.genre import run
    from botify_lab.report import write_section

    ctx = LabContext(out_dir=out, fast=fast)
    started = time.perf_counter()
    path = write_section(ctx, run(ctx), f"botify lab genre{' --fast' if fast else ''}")
    typer.echo(f"genre: {time.perf_counter() - started:.0f} s -> {path}")
