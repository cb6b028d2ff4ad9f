"""Every dataset loader on the real files, and on corrupted copies of them: each problem is a DatasetError whose
message names the file and says what is wrong."""

from __future__ import annotations

import shutil
import stat
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from botify_datasets.audio_examples import example_recordings
from botify_datasets.errors import DatasetError
from botify_datasets.gtzan import GTZAN_GENRES, load_gtzan_clips, load_gtzan_features
from botify_datasets.hetrec import load_hetrec
from botify_datasets.jamendo import load_jamendo
from botify_datasets.lastfm1k import PROFILES, SCROBBLES, load_profiles, load_scrobbles

pytestmark = pytest.mark.data

HETREC, JAMENDO, LASTFM, GTZAN_F, GTZAN_A = ("hetrec2011-lastfm-2k", "mtg-jamendo-genre", "lastfm-1k-sample",
                                             "gtzan-features", "gtzan-mini-audio")


# ------------------------------------------------------------------------------------------------ real files

def test_hetrec_matches_its_published_shape(data_dir: Path) -> None:
    data = load_hetrec(data_dir)
    assert len(data.plays) == 92_834 and data.plays["user_id"].nunique() == 1_892
    assert data.plays["artist_id"].nunique() == 17_632 and len(data.artists) == 17_632
    assert (data.plays["weight"].min(), data.plays["weight"].max()) == (1, 352_698)
    assert len(data.tags) == 11_946 and len(data.tagged) == 186_479
    assert "rock français" in set(data.tags["tag"])  # tags.dat is Latin-1: accents must survive
    # the five assignments dated before Last.fm existed become NaT; all others are 2005-2011, in UTC
    assert data.tagged["date"].isna().sum() == 5
    assert str(data.tagged["date"].dt.tz) == "UTC" and data.tagged["date"].dt.year.min() == 2005
    genres = data.artist_genres()
    assert genres.set_index("name").loc["Iron Maiden", "genre"] == "metal"
    assert genres.set_index("name").loc["Britney Spears", "genre"] == "pop"


def test_jamendo_matches_its_published_shape(data_dir: Path) -> None:
    tracks = load_jamendo(data_dir)
    assert len(tracks) == 55_094 and tracks["track_id"].is_unique
    assert tracks["artist_id"].nunique() == 3_546
    assert tracks["split"].value_counts().to_dict() == {"train": 32_572, "test": 11_479, "validation": 11_043}
    assert (tracks["duration_s"].min(), tracks["duration_s"].max()) == (30.0, 4140.3)
    assert tracks["tags"].explode().nunique() == 87
    assert tracks["tags"].map(len).between(1, 9).all()
    assert not tracks["tags"].explode().str.startswith("genre---").any()
    # no artist in two splits (the splits are artist-disjoint)
    assert (tracks.groupby("artist_id")["split"].nunique() == 1).all()


def test_lastfm1k_matches_its_published_shape(data_dir: Path) -> None:
    scrobbles = load_scrobbles(data_dir)
    assert len(scrobbles) == 5_000
    assert scrobbles["user_id"].value_counts().to_dict() == {"user_000001": 4_997, "user_000002": 3}
    assert str(scrobbles["ts"].dt.tz) == "UTC"
    assert scrobbles["ts"].min() == pd.Timestamp("2008-12-08T06:04:00Z")
    assert scrobbles["ts"].max() == pd.Timestamp("2009-05-04T23:08:57Z")
    assert scrobbles.groupby("user_id")["ts"].apply(lambda t: t.is_monotonic_increasing).all()
    assert scrobbles["artist_name"].nunique() == 235
    profiles = load_profiles(data_dir)
    assert len(profiles) == 992 and profiles["user_id"].iloc[0] == "user_000001"
    assert profiles["age"].isna().sum() == 706


def test_gtzan_features_and_clips_match_their_published_shape(data_dir: Path) -> None:
    features = load_gtzan_features(data_dir)
    assert features.shape == (1_000, 60)
    assert features["label"].value_counts().to_dict() == dict.fromkeys(GTZAN_GENRES, 100)
    clips = load_gtzan_clips(data_dir)
    assert len(clips) == 100 and clips["genre"].value_counts().eq(10).all()
    assert all(Path(p).is_file() and Path(p).suffix == ".flac" for p in clips["path"])
    assert clips["duration_s"].between(29.9, 30.7).all()


def test_example_recordings_are_the_eight_ogg_files(data_dir: Path) -> None:
    recordings = example_recordings(data_dir)
    assert len(recordings) == 8 and all(p.suffix == ".ogg" and p.is_file() for p in recordings)


# ------------------------------------------------------------------------------------------- corrupted copies

def copy_set(data_dir: Path, tmp_path: Path, folder: str) -> Path:
    """A writable copy of one dataset folder under ``tmp_path``; returns the new data dir."""
    target = tmp_path / "data"
    shutil.copytree(data_dir / folder, target / folder)
    for path in (target / folder).rglob("*"):
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    return target


def rewrite_line(path: Path, number: int, edit: Callable[[str], str], encoding: str = "utf-8") -> None:
    """Replace line ``number`` (1-based) of a text file with ``edit(line)``, keeping its line endings."""
    lines = path.read_text(encoding=encoding).splitlines(keepends=True)
    ending = lines[number - 1][len(lines[number - 1].rstrip("\r\n")):]
    lines[number - 1] = edit(lines[number - 1].rstrip("\r\n")) + ending
    path.write_text("".join(lines), encoding=encoding, newline="")


def flip_byte(path: Path, offset: int = 200) -> None:
    """Flip the lowest bit of one byte at or after ``offset``; in a text file, of a digit that follows a digit,
    so the file still parses ('4' <-> '5') and only the checksum can tell."""
    data = bytearray(path.read_bytes())
    if path.suffix in {".dat", ".tsv", ".csv"}:
        offset = next(i for i in range(offset, len(data)) if chr(data[i]).isdigit() and chr(data[i - 1]).isdigit())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


LOADERS: dict[str, Callable[[Path, bool], object]] = {  # name -> load(data_dir, verify)
    "hetrec": lambda d, v: load_hetrec(d, verify=v),
    "jamendo": lambda d, v: load_jamendo(d, verify=v),
    "scrobbles": lambda d, v: load_scrobbles(d, verify=v),
    "profiles": lambda d, v: load_profiles(d, verify=v),
    "gtzan_features": lambda d, v: load_gtzan_features(d, verify=v),
    "gtzan_clips": lambda d, v: load_gtzan_clips(d, verify=v),
    "recordings": lambda d, v: example_recordings(d, verify=v),
}


CHECKSUMMED = [  # (loader, folder, a file it reads and checks against a published sha256)
    ("hetrec", HETREC, "user_artists.dat"), ("hetrec", HETREC, "artists.dat"), ("hetrec", HETREC, "tags.dat"),
    ("hetrec", HETREC, "user_taggedartists.dat"), ("jamendo", JAMENDO, "autotagging_genre-validation.tsv"),
    ("scrobbles", LASTFM, SCROBBLES), ("profiles", LASTFM, PROFILES),
    ("gtzan_features", GTZAN_F, "features_30_sec.csv"),
    ("gtzan_clips", GTZAN_A, "rock/rock.00003.flac"),  # against the sha256 in manifest.csv
    ("recordings", "librosa-example-audio", "Kevin_MacLeod_-_Vibe_Ace.ogg"),
]
EVERY_FILE = [*CHECKSUMMED, ("gtzan_clips", GTZAN_A, "manifest.csv")]  # the manifest itself is not pinned


@pytest.mark.parametrize(("load", "folder", "name"), EVERY_FILE)
def test_a_missing_file_is_named_with_where_it_was_expected(data_dir: Path, tmp_path: Path, load: str,
                                                            folder: str, name: str) -> None:
    copy = copy_set(data_dir, tmp_path, folder)
    (copy / folder / name).unlink()
    with pytest.raises(DatasetError, match="missing") as error:
        LOADERS[load](copy, False)
    assert str(copy / folder / name) in str(error.value)


@pytest.mark.parametrize(("load", "folder", "name"), CHECKSUMMED)
def test_a_flipped_byte_fails_the_checksum(data_dir: Path, tmp_path: Path, load: str, folder: str,
                                           name: str) -> None:
    copy = copy_set(data_dir, tmp_path, folder)
    flip_byte(copy / folder / name)
    with pytest.raises(DatasetError, match=r"does not match the (published checksum|sha256)") as error:
        LOADERS[load](copy, True)
    assert str(copy / folder / name) in str(error.value)
    if name.endswith((".dat", ".tsv", ".csv")):
        LOADERS[load](copy, False)  # the flipped bit lands in text that still parses: only the checksum can tell


BAD_CONTENT = [  # (loader, folder, file, line, edit, what the message must say)
    ("hetrec", HETREC, "user_artists.dat", 1, lambda s: "user\tartist\tweight",
     r"expected columns \['userID', 'artistID', 'weight'\], found \['user', 'artist', 'weight'\]"),
    ("hetrec", HETREC, "user_artists.dat", 3, lambda s: "2\t52\tlots",
     r"'weight' must hold integers; row 3 has 'lots'"),
    ("hetrec", HETREC, "user_artists.dat", 2, lambda s: "2\t51\t0", "positive play count"),
    ("hetrec", HETREC, "tags.dat", 1, lambda s: "tagID\ttag", r"expected columns \['tagID', 'tagValue'\]"),
    ("hetrec", HETREC, "user_taggedartists.dat", 4, lambda s: s.replace("\t", "\tx", 1),
     r"'artistID' must hold integers; row 4"),
    ("jamendo", JAMENDO, "autotagging_genre-test.tsv", 1, lambda s: s.replace("DURATION", "LENGTH"),
     "expected the header"),
    ("jamendo", JAMENDO, "autotagging_genre-test.tsv", 7, lambda s: s.replace("\t", ";"),
     "line 7 has 1 fields; expected at least 6"),
    ("jamendo", JAMENDO, "autotagging_genre-train.tsv", 9,
     lambda s: "\t".join([*s.split("\t")[:4], "long", *s.split("\t")[5:]]),
     "line 9 has DURATION 'long'; expected positive seconds"),
    ("scrobbles", LASTFM, SCROBBLES, 12, lambda s: s.rsplit("\t", 1)[0], "line 12 has 5 fields, expected 6"),
    ("scrobbles", LASTFM, SCROBBLES, 3, lambda s: s.replace("T", " ", 1).replace("Z", "", 1),
     "line 3 has a timestamp that is not ISO-8601"),
    ("profiles", LASTFM, PROFILES, 1, lambda s: "id\tgender\tage\tcountry\tregistered", "expected columns"),
    ("gtzan_features", GTZAN_F, "features_30_sec.csv", 1, lambda s: s.replace("tempo", "bpm"),
     "missing column 'tempo'"),
    ("gtzan_features", GTZAN_F, "features_30_sec.csv", 5, lambda s: ",".join([s.split(",")[0], "30 s",
                                                                            *s.split(",")[2:]]),
     r"must be numeric, these are not: \['length'\]"),
    ("gtzan_features", GTZAN_F, "features_30_sec.csv", 10, lambda s: s.rsplit(",", 1)[0] + ",polka",
     r"unknown genre labels \['polka'\]"),
    ("gtzan_clips", GTZAN_A, "manifest.csv", 1, lambda s: s.replace("genre", "label"), "expected columns"),
]


BAD_CONTENT_IDS = ["hetrec-header", "hetrec-text-weight", "hetrec-zero-weight", "tags-header", "tagged-text-id",
                   "jamendo-header", "jamendo-short-line", "jamendo-text-duration", "scrobbles-short-line",
                   "scrobbles-timestamp", "profiles-header", "gtzan-missing-column", "gtzan-text-feature",
                   "gtzan-unknown-label", "manifest-header"]


@pytest.mark.parametrize(("load", "folder", "name", "line", "edit", "message"), BAD_CONTENT, ids=BAD_CONTENT_IDS)
def test_malformed_content_says_what_is_wrong_and_where(data_dir: Path, tmp_path: Path, load: str, folder: str,
                                                        name: str, line: int, edit: Callable[[str], str],
                                                        message: str) -> None:
    copy = copy_set(data_dir, tmp_path, folder)
    rewrite_line(copy / folder / name, line, edit, encoding="latin-1" if name == "tags.dat" else "utf-8")
    with pytest.raises(DatasetError, match=message) as error:
        # checksums off: these files would fail it anyway; the content checks must catch them on their own
        LOADERS[load](copy, False)
    assert name in str(error.value)
    with pytest.raises(DatasetError):  # with checksums on, one check or the other refuses it
        LOADERS[load](copy, True)


def test_a_gtzan_clip_that_differs_from_its_manifest_hash_is_refused(data_dir: Path, tmp_path: Path) -> None:
    copy = copy_set(data_dir, tmp_path, GTZAN_A)
    flip_byte(copy / GTZAN_A / "jazz" / "jazz.00007.flac", offset=5000)
    with pytest.raises(DatasetError, match=r"jazz\.00007\.flac does not match the sha256 in .*manifest\.csv"):
        load_gtzan_clips(copy, verify=True)
