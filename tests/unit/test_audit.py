"""The dependency audit (scripts/audit.py): the offline matcher on a tiny advisory database, and its verdicts."""

from __future__ import annotations

import doctest
from pathlib import Path
from typing import Any

import pytest
import yaml

import scripts.audit as audit_module
from scripts.audit import (
    EXIT_OK,
    EXIT_UNCHECKED,
    EXIT_VULNERABLE,
    Accepted,
    Finding,
    Report,
    audit_offline,
    conclude,
    load_accepted,
    main,
    parse_pins,
    report_from_pip_audit,
    split_accepted,
)


def advisory(id_: str, package: str, *, versions: list[str] | None = None,
             events: list[dict[str, str]] | None = None, **extra: Any) -> dict[str, Any]:
    affected: dict[str, Any] = {"package": {"ecosystem": "PyPI", "name": package}, "versions": versions or []}
    if events is not None:
        affected["ranges"] = [{"type": "GIT", "repo": "https://example.invalid", "events": [{"introduced": "0"}]},
                              {"type": "ECOSYSTEM", "events": events}]
    return {"id": id_, "aliases": [f"CVE-{id_}"], "affected": [affected], **extra}


def write_db(root: Path, docs: dict[str, list[dict[str, Any]]]) -> Path:
    """A pypa/advisory-database layout: vulns/<folder>/<id>.yaml."""
    for folder, advisories in docs.items():
        (root / "vulns" / folder).mkdir(parents=True)
        for doc in advisories:
            (root / "vulns" / folder / f"{doc['id']}.yaml").write_text(yaml.safe_dump(doc))
    return root


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return write_db(tmp_path / "db", {
        "listed": [advisory("PYSEC-1", "listed", versions=["1.0", "1.1"])],
        # unordered events, two branches: [0, 1.26.18) and [2.0.0, 2.0.7)
        "ranged": [advisory("PYSEC-2", "ranged", events=[{"introduced": "2.0.0"}, {"fixed": "2.0.7"},
                                                         {"introduced": "0"}, {"fixed": "1.26.18"}])],
        "capped": [advisory("PYSEC-3", "capped", events=[{"introduced": "1.0"}, {"last_affected": "1.4"}])],
        "Foo_Bar": [advisory("PYSEC-4", "Foo.Bar", versions=["3.0"])],
        "gone": [advisory("PYSEC-5", "gone", versions=["1.0"], withdrawn="2024-01-01T00:00:00Z")],
        "open": [advisory("PYSEC-6", "open", events=[{"introduced": "0"}])],
    })


def found(db: Path, requirements: str) -> set[tuple[str, str, str]]:
    report = audit_offline(parse_pins(requirements), db)
    return {(f.package, f.version, f.id) for f in report.findings}


def test_a_version_in_the_explicit_list_is_affected_and_others_are_not(db: Path) -> None:
    assert found(db, "listed==1.1\n") == {("listed", "1.1", "PYSEC-1")}
    assert found(db, "listed==1.1.0\n") == {("listed", "1.1.0", "PYSEC-1")}, "1.1.0 is the same version as 1.1"
    assert found(db, "listed==1.2\n") == set()


@pytest.mark.parametrize(("version", "affected"), [
    ("0.1", True), ("1.26.17", True), ("1.26.18", False), ("1.27", False),
    ("2.0.0rc1", False), ("2.0.0", True), ("2.0.6", True), ("2.0.7", False), ("2.1", False),
])
def test_ecosystem_ranges_open_at_introduced_and_close_at_fixed(db: Path, version: str, affected: bool) -> None:
    assert bool(found(db, f"ranged=={version}\n")) is affected


@pytest.mark.parametrize(("version", "affected"), [("0.9", False), ("1.0", True), ("1.4", True), ("1.4.1", False)])
def test_last_affected_is_inclusive(db: Path, version: str, affected: bool) -> None:
    assert bool(found(db, f"capped=={version}\n")) is affected


def test_an_advisory_without_a_fix_affects_every_version_and_says_so(db: Path) -> None:
    report = audit_offline(parse_pins("open==99.0\n"), db)
    assert [(f.id, f.fixed) for f in report.findings] == [("PYSEC-6", ())]


def test_names_are_compared_after_pep_503_normalisation(db: Path) -> None:
    assert found(db, "FOO_bar==3.0 ; sys_platform == 'win32'\n    # via x\n") == {("foo-bar", "3.0", "PYSEC-4")}


def test_withdrawn_advisories_and_other_packages_do_not_count(db: Path) -> None:
    assert found(db, "gone==1.0\nunrelated==1.0\n") == set()


def test_findings_carry_aliases_and_fixed_versions(db: Path) -> None:
    [finding] = audit_offline(parse_pins("ranged==2.0.1\n"), db).findings
    assert finding.aliases == ("CVE-PYSEC-2",)
    assert finding.fixed == ("1.26.18", "2.0.7")


def test_an_unpinned_requirement_is_refused() -> None:
    with pytest.raises(ValueError, match="not pinned"):
        parse_pins("requests>=2\n")


def test_a_missing_database_is_an_error_not_a_clean_audit(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="advisory-database"):
        audit_offline(parse_pins("listed==1.0\n"), tmp_path)


def test_accepted_advisories_match_by_id_or_alias_and_package() -> None:
    a = Finding("a", "1", "PYSEC-1", ("CVE-1",), ())
    b = Finding("b", "1", "PYSEC-2", (), ())
    by_alias = Accepted("CVE-1", "not reachable from Botify")
    other_package = Accepted("PYSEC-2", "only for package c", package="c")
    stale = Accepted("PYSEC-9", "fixed long ago")
    remaining, waived, unused = split_accepted([a, b], [by_alias, other_package, stale])
    assert remaining == [b]
    assert waived == [(a, by_alias)]
    assert unused == [other_package, stale]


def test_the_ignore_file_needs_a_reason_for_every_entry(tmp_path: Path) -> None:
    path = tmp_path / "ignore.toml"
    path.write_text('[[accepted]]\nid = "PYSEC-1"\npackage = "Foo_Bar"\nreason = "does not apply"\n')
    assert load_accepted(path) == [Accepted("PYSEC-1", "does not apply", "foo-bar")]
    path.write_text('[[accepted]]\nid = "PYSEC-1"\nreason = " "\n')
    with pytest.raises(ValueError, match="needs an id and a reason"):
        load_accepted(path)


def test_the_committed_ignore_file_is_valid() -> None:
    assert all(entry.reason for entry in load_accepted(Path(__file__).parents[2] / "scripts" / "audit-ignore.toml"))


def test_command_line_fails_on_a_finding_and_passes_once_it_is_accepted(
        db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("listed==1.0\nranged==3.0\n")
    ignore = tmp_path / "ignore.toml"
    args = ["--advisory-db", str(db), "--requirements", str(requirements), "--ignore-file", str(ignore)]

    assert main(args) == EXIT_VULNERABLE
    out = capsys.readouterr().out
    assert "listed" in out and "PYSEC-1" in out and "CVE-PYSEC-1" in out
    assert "2 package(s) checked" in out and "1 known vulnerability" in out

    ignore.write_text('[[accepted]]\nid = "PYSEC-1"\nreason = "test: accepted"\n')
    assert main(args) == EXIT_OK
    assert "test: accepted" in capsys.readouterr().out


def test_nothing_checked_is_a_failure_not_a_clean_bill(capsys: pytest.CaptureFixture[str]) -> None:
    # what pip-audit answers when its service cannot be reached: every dependency skipped
    skipped = {"dependencies": [{"name": "urllib3", "skip_reason": "Dependency not found on PyPI"}], "fixes": []}
    report = report_from_pip_audit(skipped)
    assert (report.checked, len(report.unchecked)) == (0, 1)
    assert conclude(report, [], "pypi") == EXIT_UNCHECKED
    assert "COULD NOT AUDIT 1 package(s)" in capsys.readouterr().out
    assert conclude(Report(checked=5, unchecked=["x: not on PyPI"]), [], "pypi") == EXIT_UNCHECKED


def test_pip_audit_findings_are_reported() -> None:
    document = {"dependencies": [
        {"name": "ok", "version": "1.0", "vulns": []},
        {"name": "bad", "version": "2.0", "vulns": [{"id": "GHSA-x", "fix_versions": ["2.1"], "aliases": ["CVE-1"]}]},
    ]}
    report = report_from_pip_audit(document)
    assert report.checked == 2
    assert report.findings == [Finding("bad", "2.0", "GHSA-x", ("CVE-1",), ("2.1",))]
    assert conclude(report, [], "pypi") == EXIT_VULNERABLE


def test_docstring_examples() -> None:
    result = doctest.testmod(audit_module)
    assert (result.attempted, result.failed) == (1, 0)
