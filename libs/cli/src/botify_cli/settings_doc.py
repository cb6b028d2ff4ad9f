"""The settings tables of docs/operations.md, written from the settings classes themselves, so they cannot drift.

    uv run python -m botify_cli.settings_doc    # rewrite the tables between <!-- settings:NAME --> markers

A test renders them again and fails when the page differs from the code. A new settings class is one line in
:data:`SETTINGS`.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import AliasChoices
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings

from botify_core.settings import REPO_ROOT

PAGE = REPO_ROOT / "docs" / "operations.md"

#: marker name -> "module:Class", in the page's order
SETTINGS = {
    "paths": "botify_core.settings:PathSettings",
    "kafka": "botify_core.settings:KafkaSettings",
    "vectors": "botify_core.settings:VectorSettings",
    "ingest": "botify_ingest.settings:IngestSettings",
    "recommender": "botify_recommender.settings:RecommenderSettings",
    "audio": "botify_audio.settings:AudioSettings",
    "api": "botify_api.settings:ApiSettings",
    "api-trends": "botify_api.trends_feed:TrendStreamSettings",
}


def settings_class(path: str) -> type[BaseSettings]:
    module, name = path.split(":")
    cls: type[BaseSettings] = getattr(importlib.import_module(module), name)
    return cls


def env_names(name: str, info: FieldInfo, prefix: str) -> list[str]:
    alias = info.validation_alias
    if isinstance(alias, AliasChoices):
        return [str(choice) for choice in alias.choices]
    return [str(alias) if isinstance(alias, str) else f"{prefix}{name}".upper()]


def shown(default: Any) -> str:
    if default is None:
        return "(unset)"
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, Path):  # relative to the checkout: the same on every machine
        for base, shown_as in ((REPO_ROOT, ""), (REPO_ROOT.parent, "../")):
            if default.is_relative_to(base):
                return f"{shown_as}{default.relative_to(base)}"
    if isinstance(default, tuple | list):
        return ", ".join(str(v) for v in default) or "(empty)"
    text = default.isoformat() if hasattr(default, "isoformat") else str(default)
    return text if text else "(empty)"


def own_fields(cls: type[BaseSettings]) -> Iterator[tuple[str, FieldInfo]]:
    """The fields of ``cls`` set by environment variables of its own (nested settings have their own table)."""
    for name, info in cls.model_fields.items():
        if not (isinstance(info.annotation, type) and issubclass(info.annotation, BaseSettings)):
            yield name, info


def table(cls: type[BaseSettings]) -> str:
    """One row per environment variable of ``cls``: name, default, what it does."""
    prefix = str(cls.model_config.get("env_prefix", ""))
    rows = ["| variable | default | what |", "|---|---|---|"]
    for name, info in own_fields(cls):
        default = "(derived)" if info.default is PydanticUndefined else shown(info.default)
        what = (info.description or "").replace("|", "\\|").replace("\n", " ")
        rows.append(f"| {' / '.join(f'`{n}`' for n in env_names(name, info, prefix))} | {default} | {what} |")
    return "\n".join(rows)


def render(page: str) -> str:
    """``page`` with every settings table rewritten; fails naming a marker that is missing."""
    for marker, path in SETTINGS.items():
        start, end = f"<!-- settings:{marker} -->", f"<!-- /settings:{marker} -->"
        if start not in page or end not in page:
            raise ValueError(f"docs/operations.md has no {start} ... {end} section for {path}")
        head, rest = page.split(start, 1)
        _, tail = rest.split(end, 1)
        page = f"{head}{start}\n{table(settings_class(path))}\n{end}{tail}"
    return page


def main(page: Path = PAGE) -> None:
    text = page.read_text()
    updated = render(text)
    page.write_text(updated)
    print("settings tables " + ("updated" if updated != text else "already up to date") + f" in {page}")


if __name__ == "__main__":
    main()
