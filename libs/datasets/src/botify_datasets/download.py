"""``botify data download``: fetch the public datasets for users who have internet, checking every checksum.

Files land in ``<data_dir>/<folder>/`` exactly as the loaders expect them. Nothing is downloaded at run time by
any service or test; this is a one-off for a new machine.
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import httpx
from tqdm import tqdm

from botify_datasets.errors import DatasetError
from botify_datasets.gtzan import GTZAN_GENRES
from botify_datasets.lastfm1k import PROFILES, SCROBBLES
from botify_datasets.manifest import DATASETS, DatasetSpec

Fetch = Callable[[str, Path], None]
SAMPLE_ROWS = 5000


def http_fetch(url: str, destination: Path) -> None:
    """Stream ``url`` into ``destination`` with a progress bar."""
    with httpx.stream("GET", url, follow_redirects=True, timeout=60.0) as response:
        if response.status_code != 200:
            raise DatasetError(f"GET {url} answered {response.status_code}")
        total = int(response.headers.get("content-length", 0)) or None
        with destination.open("wb") as out, tqdm(total=total, unit="B", unit_scale=True,
                                                 desc=destination.name) as bar:
            for chunk in response.iter_bytes(1 << 16):
                out.write(chunk)
                bar.update(len(chunk))


def _install(spec: DatasetSpec, name: str, content: Path, data_dir: Path) -> Path:
    """Check ``content`` against the spec's sha256 for ``name`` (if it has one) and move it into place."""
    digest = hashlib.sha256(content.read_bytes()).hexdigest()
    try:
        expected = spec.file(name).sha256
    except KeyError:
        expected = digest
    if digest != expected:
        raise DatasetError(f"downloaded {name} has sha256 {digest[:16]}…, expected {expected[:16]}…: "
                           "the source changed or the download is corrupt")
    target = data_dir / spec.folder / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(content, target)
    return target


def download(key: str, data_dir: Path, fetch: Fetch = http_fetch) -> list[Path]:
    """Fetch dataset ``key`` (see ``botify_datasets.manifest.DATASETS``) into ``data_dir``."""
    if key not in DATASETS:
        raise DatasetError(f"unknown dataset {key!r}; choose one of {', '.join(DATASETS)}")
    spec = DATASETS[key]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if key == "hetrec":
            return _from_zip(spec, data_dir, tmp, fetch)
        if key == "lastfm1k":
            return _lastfm_sample(spec, data_dir, tmp, fetch)
        if key == "gtzan-audio":
            return _gtzan_clips(spec, data_dir, tmp, fetch)
        installed = []
        for name, url in spec.urls.items():
            fetch(url, tmp / name)
            installed.append(_install(spec, name, tmp / name, data_dir))
        return installed


def _from_zip(spec: DatasetSpec, data_dir: Path, tmp: Path, fetch: Fetch) -> list[Path]:
    ((archive_name, url),) = spec.urls.items()
    fetch(url, tmp / archive_name)
    installed = []
    with zipfile.ZipFile(tmp / archive_name) as archive:
        members = {Path(m).name: m for m in archive.namelist()}
        for file in spec.files:
            if file.name not in members:
                raise DatasetError(f"{archive_name} has no {file.name}")
            (tmp / file.name).write_bytes(archive.read(members[file.name]))
            installed.append(_install(spec, file.name, tmp / file.name, data_dir))
    return installed


def _lastfm_sample(spec: DatasetSpec, data_dir: Path, tmp: Path, fetch: Fetch) -> list[Path]:
    """The profiles, and the first 5,000 lines of the 2.4 GB scrobble file (the subset the project uses)."""
    ((archive_name, url),) = spec.urls.items()
    fetch(url, tmp / archive_name)
    found = set()
    with tarfile.open(tmp / archive_name, "r:gz") as archive:
        for member in archive:
            name = Path(member.name).name
            source = archive.extractfile(member) if member.isfile() else None
            if source is None:
                continue
            if name == PROFILES:
                (tmp / PROFILES).write_bytes(source.read())
                found.add(PROFILES)
            elif name == SCROBBLES.replace(".head5000", ""):
                lines = io.TextIOWrapper(source, encoding="utf-8", newline="")
                with (tmp / SCROBBLES).open("w", encoding="utf-8", newline="") as out:
                    for _, line in zip(range(SAMPLE_ROWS), lines, strict=False):
                        out.write(line)
                found.add(SCROBBLES)
            if len(found) == 2:
                break
    missing = {PROFILES, SCROBBLES} - found
    if missing:
        raise DatasetError(f"{archive_name} lacks {sorted(missing)}")
    return [_install(spec, name, tmp / name, data_dir) for name in (PROFILES, SCROBBLES)]


def _gtzan_clips(spec: DatasetSpec, data_dir: Path, tmp: Path, fetch: Fetch) -> list[Path]:
    """Clips 00000-00009 of each GTZAN genre as FLAC (lossless), with a manifest of their checksums."""
    import soundfile

    base = spec.urls["genres/"]
    folder = data_dir / spec.folder
    rows, installed = [], []
    for genre in GTZAN_GENRES:
        for index in range(10):
            wav = tmp / f"{genre}.{index:05d}.wav"
            fetch(f"{base}/{genre}/{wav.name}", wav)
            audio, rate = soundfile.read(wav, dtype="int16")
            target = folder / genre / wav.with_suffix(".flac").name
            target.parent.mkdir(parents=True, exist_ok=True)
            soundfile.write(target, audio, rate, subtype="PCM_16")
            info = soundfile.info(wav)
            rows.append({"file": f"{genre}/{target.name}", "genre": genre, "orig_wav": wav.name,
                         "samplerate": rate, "channels": info.channels, "subtype": info.subtype,
                         "frames": info.frames, "duration_s": round(info.frames / rate, 3),
                         "wav_bytes": wav.stat().st_size,
                         "wav_sha256": hashlib.sha256(wav.read_bytes()).hexdigest(),
                         "flac_bytes": target.stat().st_size,
                         "flac_sha256": hashlib.sha256(target.read_bytes()).hexdigest()})
            installed.append(target)
    with (folder / "manifest.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return [*installed, folder / "manifest.csv"]
