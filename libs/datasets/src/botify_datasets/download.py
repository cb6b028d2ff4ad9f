"""``botify data download``: fetch the public datasets for users who have internet, checking each file against its
published sha256 (GTZAN's clips have none published: their manifest records the checksums of what was fetched).

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
#: the clips of the GTZAN mini subset; for jazz its makers picked 00011 and 00012 instead of 00003 and 00009
GTZAN_MINI_CLIPS = {"jazz": (0, 1, 2, 4, 5, 6, 7, 8, 11, 12)}


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
    """Check ``content`` against the spec's sha256 for ``name`` and move it into place."""
    digest = hashlib.sha256(content.read_bytes()).hexdigest()
    try:
        expected = spec.file(name).sha256
    except KeyError:
        raise DatasetError(f"{spec.key} publishes no checksum for {name}; refusing to install it unchecked") from None
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
    """The 10 clips per genre of the GTZAN mini subset as FLAC (lossless), with a manifest of their checksums."""
    import soundfile

    target = data_dir / spec.folder
    if target.exists():
        raise DatasetError(f"{target} exists already; move it away to download GTZAN's clips again")
    base = spec.urls["genres/"]
    folder = tmp / spec.folder  # assembled here, moved into the data folder only when complete
    rows, installed = [], []
    for genre in GTZAN_GENRES:
        for index in GTZAN_MINI_CLIPS.get(genre, range(10)):
            wav = tmp / f"{genre}.{index:05d}.wav"
            fetch(f"{base}/{genre}/{wav.name}", wav)
            audio, rate = soundfile.read(wav, dtype="int16")
            flac = folder / genre / wav.with_suffix(".flac").name
            flac.parent.mkdir(parents=True, exist_ok=True)
            soundfile.write(flac, audio, rate, subtype="PCM_16")
            info = soundfile.info(wav)
            rows.append({"file": f"{genre}/{flac.name}", "genre": genre, "orig_wav": wav.name,
                         "samplerate": rate, "channels": info.channels, "subtype": info.subtype,
                         "frames": info.frames, "duration_s": round(info.frames / rate, 3),
                         "wav_bytes": wav.stat().st_size,
                         "wav_sha256": hashlib.sha256(wav.read_bytes()).hexdigest(),
                         "flac_bytes": flac.stat().st_size,
                         "flac_sha256": hashlib.sha256(flac.read_bytes()).hexdigest()})
            installed.append(flac)
    with (folder / "manifest.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(folder, target)
    return [target / p.relative_to(folder) for p in installed] + [target / "manifest.csv"]
