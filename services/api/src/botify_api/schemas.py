"""HTTP bodies of the gateway (pydantic); Kafka messages stay protobuf."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

#: the longest id the gateway takes (user, track, genre)
MAX_ID = 200


class DegradedOut(BaseModel):
    source: str = Field(description="the candidate source (or input) left out: cf, audio, transitions, trending, "
                                    "popular, user-state")
    reason: str


class RecommendedItem(BaseModel):
    track_id: str
    score: float = Field(description="weighted reciprocal rank fusion score")
    sources: list[str] = Field(description="candidate sources that proposed it, strongest first")
    reason: str = Field(description="why, in a few words")
    title: str = ""
    artist: str = ""
    genres: list[str] = Field(default_factory=list)


class RecommendationsQuery(BaseModel):
    """The parameters of ``GET /v1/recommendations`` (read by :func:`botify_api.query.parse`)."""

    user_id: str = Field(min_length=1, max_length=MAX_ID, description="who listens")
    k: int | None = Field(default=None, ge=1, le=1000, description="how many items (default and most: settings)")
    context_track_id: str | None = Field(default=None, min_length=1, max_length=MAX_ID,
                                         description="the track playing now")
    exclude: list[str] = Field(default_factory=list, description="track ids to leave out (repeat or comma-separate)")
    genres: list[str] = Field(default_factory=list, description="only these genres (repeat or comma-separate)")


class Recommendations(BaseModel):
    recommendation_id: str = Field(description="quote it in later listens (ListenEvent.recommendation_id)")
    user_id: str
    items: list[RecommendedItem]
    experiment: str
    arm: str
    model_versions: dict[str, str]
    degraded: list[DegradedOut] = Field(description="sources left out of this answer, with the reason; empty when "
                                                    "every source answered")
    cold_start: bool = Field(description="no state for this user yet: trending and audio neighbours of what they "
                                         "just played")
    latency_ms: float


class Played(BaseModel):
    """A listen in the original Botify session API: the track and the fraction of it that was played."""

    model_config = ConfigDict(extra="ignore")

    track: int = Field(ge=0, le=2**53, description="integer track id (track 301 is syn-t00301 in the demo catalog)")
    time: float = Field(ge=0.0, le=1.0, description="fraction of the track that was played")


class NextTrack(BaseModel):
    user: int
    track: int


class SessionEnded(BaseModel):
    user: int


class LegacyTrack(BaseModel):
    track: int
    track_id: str
    artist: str
    title: str
    genres: list[str]
    duration_ms: int


class TrackOut(BaseModel):
    track_id: str
    int_id: int | None = Field(description="its id in the original Botify API, when it has one")
    title: str
    artist_id: str
    artist: str
    genres: list[str]
    duration_ms: int
    dataset: str
    genre_probabilities: dict[str, float] = Field(description="from the audio worker; empty until embedded")
    embedding_model: str


class SimilarItem(BaseModel):
    track_id: str
    score: float = Field(description="cosine similarity of the audio embeddings")
    title: str = ""
    artist: str = ""


class SimilarTracks(BaseModel):
    track_id: str
    items: list[SimilarItem]
    degraded: list[DegradedOut]


class ListenOut(BaseModel):
    track_id: str
    fraction: float
    event_time_ms: int = Field(description="0 when reported to this gateway and not folded into user-state yet")


class UserOut(BaseModel):
    user_id: str
    history: list[ListenOut] = Field(description="newest first")
    top_genres: list[tuple[str, float]] = Field(description="(genre, decayed affinity in [-1, 1]), best first")
    cluster_id: int = Field(description="-1 when not clustered yet")
    listens: int
    skip_rate: float
    model_version: str
    experiment: str
    arm: str


class TopicLagOut(BaseModel):
    behind: int | None = Field(description="records not applied yet; null while the topic is not found")
    caught_up: bool


class Readiness(BaseModel):
    status: str
    rebuild_s: float | None = Field(description="seconds the read model took to catch up at start")
    warm_s: float | None = Field(default=None, description="then, seconds to compute the candidates of the most "
                                                          "recently active users (BOTIFY_API_WARM_USERS)")
    warmed_users: int = Field(default=0, description="users whose candidates were computed at start so far")
    records: int
    topics: dict[str, TopicLagOut]
    vector_store: str
    workers: int = Field(default=1, description="gateway processes on this port (BOTIFY_API_WORKERS)")
    workers_ready: int = Field(default=1, description="of them, those that caught up (this one included)")


class FieldError(BaseModel):
    where: str = Field(description="e.g. query.k, path.user, body.time")
    problem: str


class Problem(BaseModel):
    detail: str = Field(description="what was wrong, in one line")
    errors: list[FieldError] = Field(default_factory=list)
