"""Keep a :class:`~botify_recommender.catalog.Catalog` up to date from the compacted ``tracks`` topic.

The engine starts folding listens only once the feed is ``loaded`` (caught up with the topic as it was at start), so a
catalog published before the listens (as ``botify replay`` does) is always joined; a track that arrives later is
resolved as :mod:`botify_recommender.trends` describes.
"""

from __future__ import annotations

import logging

from botify_core.codecs import CodecError, codec_for
from botify_core.proto.botify.v1.catalog_pb2 import TrackUpserted
from botify_core.settings import KafkaSettings
from botify_core.topics import Topic
from botify_recommender.catalog import Catalog
from botify_recommender.topic_feed import TopicFeed

log = logging.getLogger(__name__)
_CODEC = codec_for(TrackUpserted)


class CatalogFeed(TopicFeed):
    def __init__(self, kafka: KafkaSettings, catalog: Catalog) -> None:
        super().__init__(kafka, Topic.TRACKS)
        self.catalog = catalog
        self.bad = 0

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        track_id = key.decode(errors="replace") if key else ""
        if value is None:
            self.catalog.apply(track_id, None)
            return
        try:
            track = _CODEC.decode(value)
        except CodecError as exc:   # the catalog's producer is ours; a bad record is logged, not fatal
            self.bad += 1
            log.warning("skipping an unreadable track %r: %s", track_id, exc)
            return
        self.catalog.apply(track.track_id or track_id, track)
