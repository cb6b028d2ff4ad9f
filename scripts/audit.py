"""Known vulnerabilities in the locked dependencies (`make audit`).

    python scripts/audit.py                          # pip-audit over uv.lock's export, against PyPI's advisories
    python scripts/audit.py --service osv            # the same against osv.dev
    python scripts/audit.py --advisory-db DIR        # offline: against a checkout of github.com/pypa/advisory-database
    python scripts/audit.py --requirements FILE      # audit a pinned requirements file instead of uv.lock's export

Exit status: 0 when every locked package was checked and none is affected (advisories accepted in
scripts/audit-ignore.toml, with their reason, are listed but do not fail); 1 when a locked version is affected;
2 when some or all packages could not be checked (service unreachable, unknown package, not pinned...), because
"no known vulnerabilities" would then be a claim about packages nobody looked at.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parents[1]
IGNORE_FILE = ROOT / "scripts" / "audit-ignore.toml"
EXPORT_ARGS = ["export", "--frozen", "--no-hashes", "--no-emit-workspace", "--no-emit-project",
               "--format", "requirements-txt", "--all-groups"]
#: the order OSV events take when two share a version: a range that opens and closes at v excludes v
EVENT_ORDER = {"introduced": 0, "last_affected": 1, "limit": 2, "fixed": 3}

EXIT_OK, EXIT_VULNERABLE, EXIT_UNCHECKED = 0, 1, 2


@dataclass(frozen=True)
class Pin:
    """A locked package: its PEP 503 name and exact version."""

    name: str
    version: str


@dataclass(frozen=True)
class Advisory:
    """One `affected` entry of an OSV advisory for a PyPI package."""

    id: str
    package: str
    aliases: tuple[str, ...] = ()
    versions: tuple[str, ...] = ()
    #: ECOSYSTEM ranges, each a tuple of (event kind, version) as written in the advisory
    ranges: tuple[tuple[tuple[str, str], ...], ...] = ()

    @property
    def fixed(self) -> tuple[str, ...]:
        found = {v for events in self.ranges for kind, v in events if kind == "fixed"}
        return tuple(sorted(found, key=_sort_key))


@dataclass(frozen=True)
class Finding:
    package: str
    version: str
    id: str
    aliases: tuple[str, ...]
    fixed: tuple[str, ...]


@dataclass(frozen=True)
class Accepted:
    """An advisory accepted on purpose (scripts/audit-ignore.toml): why it does not apply or is tolerated."""

    id: str
    reason: str
    package: str = ""


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    checked: int = 0
    #: packages nobody could check, with the reason
    unchecked: list[str] = field(default_factory=list)


def _sort_key(version: str) -> tuple[int, Version | str]:
    try:
        return 0, Version(version)
    except InvalidVersion:
        return 1, version


def parse_pins(text: str) -> list[Pin]:
    """The exact pins of a requirements file (`uv export`'s format; markers kept: any platform counts).

    >>> parse_pins("Foo_Bar==1.2 ; sys_platform == 'win32'\\n    # via x\\n")
    [Pin(name='foo-bar', version='1.2')]
    """
    pins = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement as error:
            raise ValueError(f"not a requirement: {raw!r} ({error})") from error
        specs = list(requirement.specifier)
        if len(specs) != 1 or specs[0].operator not in ("==", "==="):
            raise ValueError(f"not pinned to one version: {raw!r}")
        pins.append(Pin(canonicalize_name(requirement.name), specs[0].version))
    return pins


def parse_advisory(document: Mapping[str, Any]) -> list[Advisory]:
    """The PyPI `affected` entries of one OSV document; none when the advisory was withdrawn."""
    if document.get("withdrawn"):
        return []
    aliases = tuple(str(a) for a in document.get("aliases") or ())
    advisories = []
    for affected in document.get("affected") or ():
        package = affected.get("package") or {}
        if package.get("ecosystem") != "PyPI" or not package.get("name"):
            continue
        ranges = tuple(
            tuple((kind, str(version)) for event in r.get("events") or () for kind, version in event.items())
            for r in affected.get("ranges") or () if r.get("type") == "ECOSYSTEM"
        )
        advisories.append(Advisory(id=str(document["id"]), package=canonicalize_name(package["name"]),
                                   aliases=aliases, versions=tuple(str(v) for v in affected.get("versions") or ()),
                                   ranges=ranges))
    return advisories


def load_advisories(db: Path, packages: Iterable[str] | None = None) -> dict[str, list[Advisory]]:
    """The advisories of a PyPA advisory-database checkout (`vulns/<package>/*.yaml`, OSV), by package.

    ``packages`` limits the reading to those names' folders (folder names are compared once normalised).
    """
    vulns = db / "vulns" if (db / "vulns").is_dir() else db
    if not vulns.is_dir() or not any(vulns.iterdir()):
        raise FileNotFoundError(f"no advisories under {db}: expected a checkout of github.com/pypa/advisory-database")
    wanted = None if packages is None else set(packages)
    found: dict[str, list[Advisory]] = {}
    for folder in sorted(p for p in vulns.iterdir() if p.is_dir()):
        if wanted is not None and canonicalize_name(folder.name) not in wanted:
            continue
        for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.json")]):
            with path.open() as f:
                document = json.load(f) if path.suffix == ".json" else yaml.load(f, Loader=yaml.CSafeLoader)
            for advisory in parse_advisory(document):
                found.setdefault(advisory.package, []).append(advisory)
    return found


def in_range(version: Version, events: Sequence[tuple[str, str]]) -> bool:
    """Whether ``version`` falls in an OSV ECOSYSTEM range (events in any order; unparseable ones are skipped)."""
    parsed = []
    for kind, raw in events:
        try:
            parsed.append((Version(raw), EVENT_ORDER[kind], kind))
        except (InvalidVersion, KeyError):
            continue
    affected = False
    for at, _, kind in sorted(parsed):
        if kind == "introduced" and version >= at:
            affected = True
        elif (kind in ("fixed", "limit") and version >= at) or (kind == "last_affected" and version > at):
            affected = False
    return affected


def is_affected(version: str, advisory: Advisory) -> bool:
    """Whether ``version`` is listed in the advisory's versions or falls in one of its ranges."""
    if version in advisory.versions:
        return True
    try:
        parsed = Version(version)
    except InvalidVersion:
        return False
    listed = (_sort_key(v)[1] for v in advisory.versions)
    return any(parsed == v for v in listed) or any(in_range(parsed, events) for events in advisory.ranges)


def match(pins: Iterable[Pin], advisories: Mapping[str, Sequence[Advisory]]) -> list[Finding]:
    """Every (pin, advisory) where the locked version is affected."""
    findings = []
    for pin in pins:
        for advisory in advisories.get(pin.name, ()):
            if is_affected(pin.version, advisory):
                findings.append(Finding(pin.name, pin.version, advisory.id, advisory.aliases, advisory.fixed))
    return findings


def audit_offline(pins: Sequence[Pin], db: Path) -> Report:
    advisories = load_advisories(db, {p.name for p in pins})
    return Report(findings=match(pins, advisories), checked=len(pins))


def load_accepted(path: Path) -> list[Accepted]:
    """The `[[accepted]]` entries of the ignore file; each needs an `id` and a non-empty `reason`."""
    if not path.exists():
        return []
    entries = tomllib.loads(path.read_text()).get("accepted", [])
    accepted = []
    for entry in entries:
        if not entry.get("id") or not str(entry.get("reason", "")).strip():
            raise ValueError(f"{path}: every [[accepted]] entry needs an id and a reason, got {entry}")
        package = canonicalize_name(str(entry.get("package", "")))
        accepted.append(Accepted(str(entry["id"]), str(entry["reason"]).strip(), package))
    return accepted


def split_accepted(findings: Iterable[Finding], accepted: Sequence[Accepted]
                   ) -> tuple[list[Finding], list[tuple[Finding, Accepted]], list[Accepted]]:
    """(findings that still count, findings accepted with their entry, entries that matched nothing).

    An entry matches a finding by its id or one of its aliases (so a CVE or GHSA id works too), and, when it names
    a package, only that package's.
    """
    remaining, waived, used = [], [], set()
    for finding in findings:
        names = {finding.id, *finding.aliases}
        entry = next((a for a in accepted if a.id in names and a.package in ("", finding.package)), None)
        if entry is None:
            remaining.append(finding)
        else:
            waived.append((finding, entry))
            used.add(entry)
    return remaining, waived, [a for a in accepted if a not in used]


def uv_executable() -> str:
    # `uv run` exports UV (its own path); otherwise PATH, then where scripts/bootstrap.sh puts it
    for candidate in (os.environ.get("UV"), shutil.which("uv"), str(Path.home() / ".local" / "bin" / "uv")):
        if candidate and Path(candidate).exists():
            return candidate
    raise FileNotFoundError("uv not found (run `make setup`)")


def export_locked(dest: Path) -> None:
    """Write uv.lock's pins (every group, without the workspace's own packages) to ``dest``."""
    subprocess.run([uv_executable(), *EXPORT_ARGS, "--output-file", str(dest)], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)


def report_from_pip_audit(document: Mapping[str, Any]) -> Report:
    """A Report from pip-audit's JSON output (`--format json`)."""
    report = Report()
    for dep in document.get("dependencies", ()):
        if dep.get("skip_reason"):
            report.unchecked.append(f"{dep['name']}: {dep['skip_reason']}")
            continue
        report.checked += 1
        for vuln in dep.get("vulns", ()):
            report.findings.append(Finding(dep["name"], dep["version"], vuln["id"], tuple(vuln.get("aliases", ())),
                                           tuple(vuln.get("fix_versions", ()))))
    return report


def audit_with_pip_audit(requirements: Path, service: str, timeout: int) -> Report:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "pip-audit.json"
        command = [sys.executable, "-m", "pip_audit", "--requirement", str(requirements), "--no-deps",
                   "--disable-pip", "--vulnerability-service", service, "--format", "json", "--aliases", "on",
                   "--progress-spinner", "off", "--timeout", str(timeout), "--output", str(out)]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if not out.exists() or not out.read_text().strip():
            last = (result.stderr.strip().splitlines() or ["(no message)"])[-1]
            return Report(unchecked=[f"pip-audit ({service}) produced no result (exit {result.returncode}): {last}"])
        return report_from_pip_audit(json.loads(out.read_text()))


def render(findings: Sequence[Finding]) -> str:
    rows = [("package", "version", "advisory", "aliases", "fixed in")]
    rows += [(f.package, f.version, f.id, ", ".join(f.aliases), ", ".join(f.fixed) or "(none)") for f in findings]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def conclude(report: Report, accepted: Sequence[Accepted], source: str, ignore_file: Path = IGNORE_FILE) -> int:
    """Print the outcome of an audit and return the exit status."""
    remaining, waived, unused = split_accepted(report.findings, accepted)
    if remaining:
        print(render(remaining))
    if waived:
        print(f"\naccepted in {ignore_file} (not failing):")
        for finding, entry in waived:
            print(f"  {finding.package} {finding.version} {finding.id}: {entry.reason}")
    for entry in unused:
        print(f"note: accepted advisory {entry.id} matched no locked package; remove it from the ignore file")
    if report.unchecked:
        shown = report.unchecked[:10]
        more = len(report.unchecked) - len(shown)
        print(f"\nCOULD NOT AUDIT {len(report.unchecked)} package(s) against {source}:")
        for line in shown:
            print(f"  {line}")
        if more:
            print(f"  ... and {more} more")
        if report.checked == 0:
            print("Nothing was checked: is the vulnerability service reachable from here? Try the other --service, "
                  "or audit offline with --advisory-db DIR (see docs/operations.md).")
    summary = (f"{report.checked} package(s) checked against {source}: {len(remaining)} known vulnerabilit"
               f"{'y' if len(remaining) == 1 else 'ies'}, {len(waived)} accepted, {len(report.unchecked)} unchecked")
    print(f"\n{summary}")
    if remaining:
        return EXIT_VULNERABLE
    return EXIT_UNCHECKED if report.unchecked else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--advisory-db", type=Path, help="audit offline against this pypa/advisory-database checkout")
    parser.add_argument("--service", choices=["pypi", "osv"], default="pypi", help="pip-audit's service (online)")
    parser.add_argument("--requirements", type=Path, help="pinned requirements to audit (default: uv.lock's export)")
    parser.add_argument("--ignore-file", type=Path, default=IGNORE_FILE, help="accepted advisories, with reasons")
    parser.add_argument("--timeout", type=int, default=15, help="pip-audit's socket timeout, seconds")
    args = parser.parse_args(argv)
    accepted = load_accepted(args.ignore_file)
    with tempfile.TemporaryDirectory() as tmp:
        requirements = args.requirements
        if requirements is None:
            requirements = Path(tmp) / "requirements.txt"
            export_locked(requirements)
        if args.advisory_db is not None:
            report = audit_offline(parse_pins(requirements.read_text()), args.advisory_db)
            return conclude(report, accepted, f"the advisory database at {args.advisory_db}", args.ignore_file)
        report = audit_with_pip_audit(requirements, args.service, args.timeout)
        return conclude(report, accepted, f"the {args.service} vulnerability service", args.ignore_file)


if __name__ == "__main__":
    sys.exit(main())
