"""Settings of the audio worker (``BOTIFY_AUDIO_*``; Kafka through ``BOTIFY_KAFKA_*``, paths through ``BOTIFY_*``).

>>> AudioSettings(max_segments=4).max_segments
4
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from botify_core.settings import ServiceSettings

#: The front end every model and the worker share unless a checkpoint says otherwise.
DEFAULT_SAMPLE_RATE = 16_000


class AudioSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BOTIFY_AUDIO_", extra="ignore")

    host: str = Field(default="127.0.0.1", description="address to listen on (loopback: this machine only)")
    port: int = Field(default=8003, ge=0, le=65535, description="port to listen on")
    group_id: str = Field(default="botify-audio-worker", description="Kafka consumer group of the workers")

    # the sound (rate and segment length come from the model: one source of truth for what it was trained on)
    max_segments: int = Field(default=6, ge=1, le=64, description="segments of a track embedded and pooled")
    embedding_dim: int = Field(default=128, ge=8, le=2048,
                               description="size of the embedding of a newly trained model and of the fallback")

    # what the worker accepts
    min_seconds: float = Field(default=1.0, gt=0, description="shorter audio is refused as too short")
    max_seconds: float = Field(default=20 * 60.0, gt=0, description="longer audio is refused as too long")
    max_bytes: int = Field(default=64 << 20, ge=1024, description="larger files or downloads are refused")
    download_timeout_s: float = Field(default=10.0, gt=0, description="a download must finish within this")
    allowed_content_types: tuple[str, ...] = Field(
        default=("audio/", "application/ogg", "application/octet-stream", "binary/octet-stream"),
        description="an HTTP download must declare one of these content types (prefixes)")

    # how it works
    batch_size: int = Field(default=16, ge=1, le=512, description="tracks embedded per CNN batch")
    decode_workers: int = Field(default=2, ge=1, le=64, description="processes decoding audio")
    torch_threads: int = Field(default=1, ge=1, le=64, description="threads of the CNN")
    model_version: str = Field(default="latest", description="checkpoint to load from models_dir, or 'latest'")
    models_dir: Path | None = Field(default=None, description="default: <BOTIFY_VAR_DIR>/models/audio")
    state_file: Path | None = Field(default=None,
                                    description="what was embedded; default: <BOTIFY_VAR_DIR>/audio-worker/state.db")

    @property
    def model_root(self) -> Path:
        return self.models_dir or self.paths.var_dir / "models" / "audio"

    @property
    def state_path(self) -> Path:
        return self.state_file or self.paths.var_dir / "audio-worker" / "state.db"
