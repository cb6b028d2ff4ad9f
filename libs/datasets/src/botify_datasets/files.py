"""Open dataset files with the checks that turn a confusing failure into a clear one."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from botify_datasets.errors import DatasetError
from botify_datasets.manifest import DatasetSpec


def dataset_file(data_dir: Path, dataset: DatasetSpec, name: str, *, verify: bool = True) -> Path:
    """The path of ``name`` in ``dataset`` under ``data_dir``, after checking it exists and (if asked) its sha256."""
    path = data_dir / dataset.folder / name
    if not path.is_file():
        raise DatasetError(
            f"missing {path}: the {dataset.title} set is expected in {data_dir / dataset.folder} "
            f"(set BOTIFY_DATA_DIR to a folder laid out like ../shared/data, or run "
            f"`botify data download {dataset.key}` where you have internet)")
    if verify:
        try:
            expected = dataset.file(name).sha256
        except KeyError:
            return path
        actual = sha256_of(path, path.stat().st_mtime_ns, path.stat().st_size)
        if actual != expected:
            raise DatasetError(
                f"{path} does not match the published checksum (sha256 {actual[:16]}…, expected {expected[:16]}…): "
                "the file is corrupt or a different version; fetch it again, or set BOTIFY_VERIFY_CHECKSUMS=false "
                "to read it anyway")
    return path


@cache
def sha256_of(path: Path, mtime_ns: int, size: int) -> str:
    """sha256 of a file; cached per (path, mtime, size) so a process hashes each file once."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_table(path: Path, **options: Any) -> pd.DataFrame:
    """``pandas.read_csv`` that turns undecodable or unparsable text into a DatasetError naming the file."""
    try:
        frame: pd.DataFrame = pd.read_csv(path, **options)
        return frame
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot read as {options.get('encoding', 'utf-8')} delimited text: {exc}") from exc


def read_lines(path: Path, encoding: str = "utf-8") -> list[str]:
    """The file's lines without their LF or CRLF ends (other Unicode line breaks stay inside fields)."""
    try:
        text = path.read_text(encoding=encoding)
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not {encoding} text ({exc})") from exc
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def check_columns(path: Path, found: Iterable[str], expected: Sequence[str]) -> None:
    if list(found) != list(expected):
        raise DatasetError(f"{path}: expected columns {list(expected)}, found {list(found)}")
