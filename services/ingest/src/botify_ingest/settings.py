"""Settings of the ingest service (``BOTIFY_INGEST_*``; Kafka through ``BOTIFY_KAFKA_*``)."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from botify_core.settings import ServiceSettings


class IngestSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BOTIFY_INGEST_", extra="ignore")

    host: str = Field(default="127.0.0.1", description="address to listen on (loopback: this machine only)")
    port: int = Field(default=8001, ge=0, le=65535, description="port to listen on")
    max_body_bytes: int = Field(default=1 << 20, ge=1024, description="larger bodies get 413")
    max_batch_events: int = Field(default=1000, ge=1, description="larger batches get 413")
    produce_timeout_s: float = Field(default=5.0, gt=0, description="how long to wait for Kafka before 503")
    retry_after_s: int = Field(default=5, ge=1, description="the Retry-After a 503 carries")
    earliest_event_time: datetime = Field(default=datetime(2000, 1, 1, tzinfo=UTC),
                                          description="older event times are refused as absurd")
    max_clock_skew_s: int = Field(default=300, ge=0, description="how far in the future an event time may be")
    max_track_duration_ms: int = Field(default=3 * 3600 * 1000, ge=1000,
                                       description="longer track durations are refused")
    token: SecretStr | None = Field(default=None, description="when set, POST /v1/listens needs "
                                                             "'Authorization: Bearer <token>'; unset: open")

    @field_validator("token")
    @classmethod
    def _blank_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        return value if value is not None and value.get_secret_value() else None
