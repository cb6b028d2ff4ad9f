"""The CC / public-domain recordings of ``librosa-example-audio`` (audio fixtures with clear licenses)."""

from __future__ import annotations

from pathlib import Path

from botify_datasets.files import dataset_file
from botify_datasets.manifest import LIBROSA_EXAMPLES


def example_recordings(data_dir: Path, *, verify: bool = True) -> list[Path]:
    """The Ogg Vorbis files, each checked against its published sha256."""
    return [dataset_file(data_dir, LIBROSA_EXAMPLES, spec.name, verify=verify)
            for spec in LIBROSA_EXAMPLES.files if spec.name.endswith(".ogg")]
