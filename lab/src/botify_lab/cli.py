"""``botify lab ...``: regenerate the lab's reports."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from botify_lab.context import DOCS_DIR, LabContext
from botify_lab.report import write_index, write_section
from botify_lab.sections import SECTIONS

app = typer.Typer(help="Research reports on the real datasets under BOTIFY_DATA_DIR.", no_args_is_help=True)

Fast = Annotated[bool, typer.Option("--fast", help="a small subsample, for a quick check (as the tests run it)")]
Out = Annotated[Path, typer.Option("--out", help="where the Markdown and figures go")]


@app.command()
def report(fast: Fast = False, out: Out = DOCS_DIR,
           only: Annotated[list[str] | None, typer.Option(help="run only these sections")] = None) -> None:
    """Regenerate every section of the report, then the index page."""
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
