"""docs/operations.md lists every setting of every service, as the code defines it (name, default, meaning)."""

from __future__ import annotations

import pytest

from botify_cli.settings_doc import PAGE, SETTINGS, own_fields, render, settings_class


def test_the_settings_tables_match_the_code() -> None:
    page = PAGE.read_text()
    assert render(page) == page, "docs/operations.md is stale: run `uv run python -m botify_cli.settings_doc`"


@pytest.mark.parametrize("path", SETTINGS.values())
def test_every_setting_says_what_it_does(path: str) -> None:
    cls = settings_class(path)
    undocumented = [name for name, info in own_fields(cls) if not info.description]
    assert not undocumented, f"{path}: give these a Field(description=...): {undocumented}"


def test_a_missing_section_is_named() -> None:
    with pytest.raises(ValueError, match="settings:kafka"):
        render(PAGE.read_text().replace("<!-- settings:kafka -->", ""))
