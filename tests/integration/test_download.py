"""`botify data download` over real HTTP (a local server standing in for the internet), checksums checked."""

from __future__ import annotations

import functools
import http.server
import shutil
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import soundfile

from botify_datasets.audio_examples import example_recordings
from botify_datasets.download import download, http_fetch
from botify_datasets.errors import DatasetError
from botify_datasets.gtzan import load_gtzan_clips
from botify_datasets.hetrec import load_hetrec
from botify_datasets.jamendo import load_jamendo
from botify_datasets.lastfm1k import load_scrobbles
from botify_datasets.manifest import HETREC, JAMENDO, LASTFM_1K, LIBROSA_EXAMPLES


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on 127.0.0.1, and its base URL."""
    root = tmp_path / "mirror"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def via(base: str):  # type: ignore[no-untyped-def]
    """A fetch that asks the mirror for the file the real URL names."""
    return lambda url, destination: http_fetch(f"{base}/{url.rsplit('/', 1)[1]}", destination)


def test_hetrec_comes_from_its_zip_and_loads(mirror: tuple[Path, str], data_dir: Path, tmp_path: Path) -> None:
    root, base = mirror
    with zipfile.ZipFile(root / "hetrec2011-lastfm-2k.zip", "w") as archive:
        for spec in HETREC.files:
            archive.write(data_dir / HETREC.folder / spec.name, f"hetrec2011-lastfm-2k/{spec.name}")
    installed = download("hetrec", tmp_path / "data", fetch=via(base))
    assert {p.name for p in installed} == {s.name for s in HETREC.files}
    assert len(load_hetrec(tmp_path / "data").plays) == 92_834


def test_direct_files_are_checked_and_installed(mirror: tuple[Path, str], data_dir: Path, tmp_path: Path) -> None:
    root, base = mirror
    for spec in JAMENDO.files:
        shutil.copy(data_dir / JAMENDO.folder / spec.name, root / spec.name)
    download("jamendo", tmp_path / "data", fetch=via(base))
    assert len(load_jamendo(tmp_path / "data")) == 55_094


def test_lastfm_sample_is_cut_from_the_full_archive(mirror: tuple[Path, str], data_dir: Path,
                                                    tmp_path: Path) -> None:
    root, base = mirror
    source = data_dir / LASTFM_1K.folder
    full = tmp_path / "userid-timestamp-artid-artname-traid-traname.tsv"
    lines = (source / "userid-timestamp-artid-artname-traid-traname.head5000.tsv").read_bytes()
    full.write_bytes(lines + b"user_000002\t2009-01-01T00:00:00Z\t\tA\t\tB\n" * 10)  # the real file goes on
    with tarfile.open(root / "lastfm-dataset-1K.tar.gz", "w:gz") as archive:
        archive.add(source / "userid-profile.tsv", "lastfm-dataset-1K/userid-profile.tsv")
        archive.add(full, f"lastfm-dataset-1K/{full.name}")
    download("lastfm1k", tmp_path / "data", fetch=via(base))
    assert len(load_scrobbles(tmp_path / "data")) == 5000


def test_a_corrupt_download_is_refused_and_not_installed(mirror: tuple[Path, str], data_dir: Path,
                                                        tmp_path: Path) -> None:
    root, base = mirror
    for spec in JAMENDO.files:
        content = (data_dir / JAMENDO.folder / spec.name).read_bytes()
        (root / spec.name).write_bytes(content[:-10])
    with pytest.raises(DatasetError, match=r"autotagging_genre-train\.tsv has sha256 .* expected"):
        download("jamendo", tmp_path / "data", fetch=via(base))
    assert not (tmp_path / "data" / JAMENDO.folder / "autotagging_genre-train.tsv").exists()


def test_a_missing_file_on_the_server_is_a_clear_error(mirror: tuple[Path, str], tmp_path: Path) -> None:
    _, base = mirror
    with pytest.raises(DatasetError, match="answered 404"):
        download("gtzan-features", tmp_path / "data", fetch=via(base))
    with pytest.raises(DatasetError, match="unknown dataset 'nope'"):
        download("nope", tmp_path / "data")


def test_gtzan_clips_are_fetched_as_wav_and_stored_as_verified_flac(mirror: tuple[Path, str], data_dir: Path,
                                                                     tmp_path: Path) -> None:
    root, base = mirror
    originals = load_gtzan_clips(data_dir)
    for path in originals["path"]:
        audio, rate = soundfile.read(path, dtype="int16")
        soundfile.write(root / path.with_suffix(".wav").name, audio, rate, subtype="PCM_16")
    installed = download("gtzan-audio", tmp_path / "data", fetch=via(base))
    assert len(installed) == 101
    clips = load_gtzan_clips(tmp_path / "data")  # checks every FLAC against the manifest the download wrote
    assert sorted(clips["genre"].value_counts().to_dict().items()) == sorted(
        originals["genre"].value_counts().to_dict().items())
    first = clips["path"].iloc[0]
    assert (soundfile.read(first, dtype="int16")[0] ==
            soundfile.read(data_dir / "gtzan-mini-audio" / first.parent.name / first.name, dtype="int16")[0]).all()
    with pytest.raises(DatasetError, match="exists already"):
        download("gtzan-audio", tmp_path / "data", fetch=via(base))


def test_librosa_recordings_come_with_their_attribution_files(mirror: tuple[Path, str], data_dir: Path,
                                                              tmp_path: Path) -> None:
    root, base = mirror
    for spec in LIBROSA_EXAMPLES.files:
        shutil.copy(data_dir / LIBROSA_EXAMPLES.folder / spec.name, root / spec.name)
    installed = download("librosa-examples", tmp_path / "data", fetch=via(base))
    assert sorted(p.suffix for p in installed) == [".ogg"] * 8 + [".txt"] * 8
    assert len(example_recordings(tmp_path / "data")) == 8
