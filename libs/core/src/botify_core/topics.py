"""The Kafka topics of Botify: names, keys, payload types and retention policy, in one place.

>>> spec(Topic.TRACKS).compacted
True
>>> spec(Topic.LISTENS).key
'user_id'
>>> [t.value for t in INTERNAL][:2]
['trend-deltas', 'transition-deltas']

Internal topics (``internal=True``) belong to the stream processor: partial results routed to the partition that owns
their key, and its state changelog. ``botify kafka init`` creates them with the others; no other service reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from google.protobuf.message import Message

from botify_core.proto.botify.v1 import (
    catalog_pb2,
    dead_letter_pb2,
    listen_pb2,
    models_pb2,
    serving_pb2,
    stream_pb2,
    trends_pb2,
)


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
    TREND_DELTAS = "trend-deltas"
    TRANSITION_DELTAS = "transition-deltas"
    ITEM_UPDATES = "item-updates"
    RECOMMENDER_STATE = "recommender-state"


@dataclass(frozen=True)
class TopicSpec:
    topic: Topic
    key: str
    value: type[Message]
    compacted: bool
    purpose: str
    internal: bool = False


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
    TopicSpec(Topic.TREND_DELTAS, "window/genre", stream_pb2.TrendDelta, False,
              "internal: per-partition trend counts (per run of windows) on their way to the partition owning the "
              "window length and genre",
              internal=True),
    TopicSpec(Topic.TRANSITION_DELTAS, "track_id", stream_pb2.TransitionDelta, False,
              "internal: per-partition successor weights on their way to the partition owning the track",
              internal=True),
    TopicSpec(Topic.ITEM_UPDATES, "track_id", models_pb2.ItemFactorsDelta, False,
              "internal: summed streaming-MF item updates on their way to the partition that owns the item",
              internal=True),
    TopicSpec(Topic.RECOMMENDER_STATE, "source/partition/stage/key", stream_pb2.StateEntry, True,
              "internal: the stream processor's state changelog, written with the offsets it reflects",
              internal=True),
)
SPECS: dict[Topic, TopicSpec] = {s.topic: s for s in _SPECS}


#: The stream processor's own topics.
INTERNAL: tuple[Topic, ...] = tuple(s.topic for s in _SPECS if s.internal)


def spec(topic: Topic) -> TopicSpec:
    return SPECS[topic]
