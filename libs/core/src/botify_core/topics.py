"""The Kafka topics of Botify: names, keys, payload types and retention policy, in one place.

>>> spec(Topic.TRACKS).compacted
True
>>> spec(Topic.LISTENS).key
'user_id'
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from google.protobuf.message import Message

from botify_core.proto.botify.v1 import catalog_pb2, dead_letter_pb2, listen_pb2, models_pb2, serving_pb2, trends_pb2


class Topic(StrEnum):
    LISTENS = "listens"
    TRACKS = "tracks"
    TRACK_EMBEDDINGS = "track-embeddings"
    ITEM_FACTORS = "item-factors"
    USER_STATE = "user-state"
    GENRE_TRENDS = "genre-trends"
    TRANSITIONS = "transitions"
    RECS_SERVED = "recs-served"
    DEAD_LETTERS = "dead-letters"


@dataclass(frozen=True)
class TopicSpec:
    topic: Topic
    key: str
    value: type[Message]
    compacted: bool
    purpose: str


_SPECS = (
    TopicSpec(Topic.LISTENS, "user_id", listen_pb2.ListenEvent, False, "every listen, as it happened"),
    TopicSpec(Topic.TRACKS, "track_id", catalog_pb2.TrackUpserted, True, "the catalog: metadata and audio URI"),
    TopicSpec(Topic.TRACK_EMBEDDINGS, "track_id", catalog_pb2.TrackEmbedded, True,
              "audio embedding and genre probabilities per track"),
    TopicSpec(Topic.ITEM_FACTORS, "track_id", models_pb2.FactorsUpdated, True, "latest item factors of online MF"),
    TopicSpec(Topic.USER_STATE, "user_id", models_pb2.UserState, True,
              "user factors, recent history, genre affinity, cluster"),
    TopicSpec(Topic.GENRE_TRENDS, "window/genre", trends_pb2.TrendSnapshot, True,
              "plays and minutes per genre per window, top tracks"),
    TopicSpec(Topic.TRANSITIONS, "track_id", models_pb2.Transitions, True, "top-k successor tracks"),
    TopicSpec(Topic.RECS_SERVED, "user_id", serving_pb2.RecommendationServed, False,
              "every recommendation served, for attribution"),
    TopicSpec(Topic.DEAD_LETTERS, "original key", dead_letter_pb2.DeadLetter, False,
              "messages a consumer could not process, with the reason"),
)
SPECS: dict[Topic, TopicSpec] = {s.topic: s for s in _SPECS}


def spec(topic: Topic) -> TopicSpec:
    return SPECS[topic]
